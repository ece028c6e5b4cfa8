import { useMemo, useState } from 'preact/hooks';
import { MeshClient } from '@mesh/client';
import { ApiContext, describeProblem, type Api } from './api';
import { ServiceLinks } from './components/service-links';
import { TokenForm } from './components/token-form';
import { useHash } from './hooks';
import { RunPage } from './pages/run-page';
import { RunsList } from './pages/runs-list';
import { parseRoute, runsHref } from './route';
import { readToken, saveToken } from './token';

/** The API's base: the folder the console is served from (the orchestrator serves it at `/`). */
const apiBase = (): string => new URL('.', location.href).href.replace(/\/$/, '');

/** The console: a header with the services' links, then the page the hash names, or the token form after a 401. */
export function App() {
  const [token, setToken] = useState<string | undefined>(readToken);
  const [askToken, setAskToken] = useState(false);
  const route = parseRoute(useHash());
  const api = useMemo<Api>(() => {
    const client = new MeshClient({ baseUrl: apiBase(), ...(token ? { token } : {}) });
    return { client, problem: (err) => describeProblem(err, () => setAskToken(true)) };
  }, [token]);

  let page;
  if (askToken)
    page = (
      <TokenForm
        rejected={token !== undefined}
        onToken={(t) => {
          saveToken(t);
          setToken(t);
          setAskToken(false);
        }}
      />
    );
  else if (route.page === 'runs') page = <RunsList />;
  else if (route.page === 'run')
    page = (
      <RunPage
        key={`${route.workflow}/${route.runId}`}
        workflow={route.workflow}
        runId={route.runId}
        taskId={route.taskId}
      />
    );
  else
    page = (
      <section>
        <h1>Not found</h1>
        <p>
          Nothing here. <a href={runsHref()}>See the runs</a>.
        </p>
      </section>
    );

  return (
    <ApiContext.Provider value={api}>
      <header class="top">
        <a href={runsHref()} class="brand">
          Mesh console
        </a>
        <ServiceLinks />
      </header>
      <main>{page}</main>
    </ApiContext.Provider>
  );
}
