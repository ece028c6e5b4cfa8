/** An error or warning line, announced to screen readers. */
export function Problem({ text }: { text: string | undefined }) {
  return text ? (
    <p class="problem" role="alert">
      {text}
    </p>
  ) : null;
}
