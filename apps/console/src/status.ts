import { TASK_STATUSES } from '@mesh/client';

/** The CSS class of a status (`s-running`); an unknown status gets the neutral `s-unknown`. */
export function statusClass(status: string): string {
  return (TASK_STATUSES as readonly string[]).includes(status) ? `s-${status}` : 's-unknown';
}
