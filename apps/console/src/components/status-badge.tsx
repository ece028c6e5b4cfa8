import { statusClass } from '../status';

/** A status as text on its colour, so that it reads without colour too. */
export function StatusBadge({ status, reused }: { status: string; reused?: boolean }) {
  return (
    <span class={`badge ${statusClass(status)}`}>
      {status}
      {reused ? <span class="reused-mark"> · reused</span> : null}
    </span>
  );
}
