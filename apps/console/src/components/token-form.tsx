import { useState } from 'preact/hooks';

/** Asks for the API token after a 401; `rejected` says the token in use was refused. */
export function TokenForm({ rejected, onToken }: { rejected: boolean; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <section class="token-form" aria-labelledby="token-title">
      <h2 id="token-title">API token</h2>
      <p>
        {rejected
          ? 'The orchestrator refused the token in use (401). Enter another one.'
          : 'The orchestrator asks for a token (401). Enter an admin token or your tenant’s token.'}
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const token = value.trim();
          if (token) onToken(token);
        }}
      >
        <label for="token-input">Bearer token</label>
        <input
          id="token-input"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <button type="submit">Use this token</button>
      </form>
      <p class="muted">It is kept in this tab’s session storage only and sent as “Authorization: Bearer …”.</p>
    </section>
  );
}
