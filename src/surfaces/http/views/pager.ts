/** @module The pager under a paged list of tasks: newer and older pages by keyset (task id), with the filter kept. */
import { html, type Html } from './html.ts';
import { TASKS_PER_PAGE, type TaskList } from '../read/tasks.ts';

/** Where the pager's links go and what they keep. */
export interface PagerTarget {
  /** The page's path: `/`, `/evidence`. */
  readonly path: string;
  /** The filter's query parameters, kept by every link (empty ones are left out). */
  readonly params: Readonly<Record<string, string>>;
  /** What the pager is for, read out by screen readers. */
  readonly label: string;
  /** Offsets instead of task ids (a list that is not read from the store's index, such as the waiting tasks). */
  readonly byOffset?: boolean;
}

/** A page of a list of tasks, as far as the pager reads it. */
export type Paged = Pick<TaskList, 'matching' | 'offset' | 'limit' | 'more'> & {
  readonly tasks: readonly { readonly taskId: string }[];
};

/** Links to the newer and older pages of `list`, with where the page sits among the matches; nothing on one page. */
export function pager(list: Paged, to: PagerTarget): Html | string {
  if (!list.more.older && !list.more.newer) return '';
  const href = (extra: Record<string, string>) => {
    const kept = Object.entries(to.params).filter(([, v]) => v !== '');
    if (list.limit !== TASKS_PER_PAGE) kept.push(['limit', String(list.limit)]);
    return `${to.path}?${new URLSearchParams([...kept, ...Object.entries(extra)]).toString()}`;
  };
  const first = list.tasks[0]?.taskId;
  const last = list.tasks.at(-1)?.taskId;
  const newerAt = String(Math.max(0, list.offset - list.limit));
  const olderAt = String(list.offset + list.limit);
  const newer =
    list.more.newer && first !== undefined
      ? href(to.byOffset ? { offset: newerAt } : { before: first, offset: newerAt })
      : null;
  const older =
    list.more.older && last !== undefined
      ? href(to.byOffset ? { offset: olderAt } : { after: last, offset: olderAt })
      : null;
  const from = list.tasks.length ? list.offset + 1 : list.offset;
  const to_ = Math.min(list.offset + list.tasks.length, list.matching);
  return html`<nav class="pager" aria-label="${to.label}">${
    newer ? html`<a class="btn secondary" rel="prev" href="${newer}">Newer</a>` : ''
  }<span class="faint small">${from}–${to_} of ${list.matching}</span>${
    older ? html`<a class="btn secondary" rel="next" href="${older}">Older</a>` : ''
  }</nav>`;
}
