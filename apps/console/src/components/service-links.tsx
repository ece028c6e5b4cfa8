import { useEffect, useState } from 'preact/hooks';

export interface ServiceLink {
  readonly name: string;
  readonly url: string;
}

/** Only http(s) and relative URLs are linked: a `javascript:` URL from a bad config must not run. */
export function safeHref(url: string): string | undefined {
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The services' metrics pages, as the orchestrator lists them at /console/config.json. That file is
 * the console's own static setting, not part of the API, so it is read directly and needs no token.
 */
export function ServiceLinks() {
  const [links, setLinks] = useState<readonly ServiceLink[]>([]);
  useEffect(() => {
    const ctl = new AbortController();
    fetch('console/config.json', { signal: ctl.signal })
      .then(async (res) => (res.ok ? ((await res.json()) as { links?: unknown }) : {}))
      .then((config) => {
        const list = Array.isArray(config.links) ? (config.links as unknown[]) : [];
        setLinks(
          list.filter(
            (l): l is ServiceLink =>
              typeof l === 'object' &&
              l !== null &&
              typeof (l as ServiceLink).name === 'string' &&
              typeof (l as ServiceLink).url === 'string',
          ),
        );
      })
      .catch(() => setLinks([]));
    return () => ctl.abort();
  }, []);
  if (links.length === 0) return null;
  return (
    <nav class="service-links" aria-label="service metrics">
      <span class="muted">metrics:</span>
      <ul>
        {links.map((l) => {
          const href = safeHref(l.url);
          return (
            <li key={l.name}>
              {href ? (
                <a href={href} target="_blank" rel="noopener noreferrer">
                  {l.name}
                </a>
              ) : (
                l.name
              )}
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
