/**
 * @module The dashboard's JSON API: the same reads as the pages and ledger
 * verification. The changes it makes (passkeys and people's decisions) are in
 * passkeys.ts.
 */
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ErrorCode, ok, refuse, type Refusal, type Result } from '../../core/errors.ts';
import { verifyLedger } from '../../engine/ledger/verify.ts';
import { liveLease, listTasks, taskEntries, TASKS_PER_PAGE, type TaskListPage } from './read/tasks.ts';
import { parseFilter, taskDetail } from './read/task-detail.ts';
import { evidenceIndex, readArtifact, taskArtifacts } from './read/evidence.ts';
import { ledgerPage } from './read/ledger.ts';
import { metricsView, WINDOWS, type WindowKey } from './read/metrics.ts';
import { waitingApprovals } from './read/approvals.ts';
import { evidenceSegments } from './pages.ts';
import type { DashboardContext } from './context.ts';

const STATUS_FOR: Partial<Record<string, ContentfulStatusCode>> = {
  [ErrorCode.USAGE]: 400,
  [ErrorCode.PHASE_UNKNOWN]: 400,
  [ErrorCode.TASK_UNKNOWN]: 404,
  [ErrorCode.TASK_DONE]: 409,
  [ErrorCode.ESCALATED]: 409,
  [ErrorCode.ABORTED]: 409,
  [ErrorCode.APPROVAL_REQUIRED]: 403,
};

export function fail(c: Context, error: Refusal, status?: ContentfulStatusCode) {
  return c.json({ ok: false, error }, status ?? STATUS_FOR[error.code] ?? 400);
}

export function mountApi(app: Hono, ctx: DashboardContext): void {
  const { engine } = ctx;
  const unknownTask = (c: Context, id: string) =>
    fail(c, { code: ErrorCode.TASK_UNKNOWN, message: `no task ${id}`, details: { taskId: id } });

  app.get('/api/head', async (c) => c.json({ ok: true, head: await engine.store.head() }));

  /** The page a request of the JSON API asks for; a refusal for an offset or limit that is not a whole number in range. */
  const pageOf = (c: Context): Result<TaskListPage & { offset: number; limit: number }> => {
    const offset = Number(c.req.query('offset') ?? 0);
    const limit = Number(c.req.query('limit') ?? TASKS_PER_PAGE);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(limit) || limit < 1 || limit > 500)
      return refuse(
        ErrorCode.USAGE,
        `offset must be a whole number from 0 and limit one from 1 to 500 (got offset ${c.req.query('offset')}, limit ${c.req.query('limit')})`,
        { offset: c.req.query('offset') ?? null, limit: c.req.query('limit') ?? null },
      );
    const after = c.req.query('after');
    const before = c.req.query('before');
    if (after !== undefined && before !== undefined)
      return refuse(ErrorCode.USAGE, 'give after or before, not both: after pages on, before pages back', {
        after,
        before,
      });
    return ok({ offset, limit, ...(after !== undefined ? { after } : before !== undefined ? { before } : {}) });
  };

  app.get('/api/tasks', async (c) => {
    const page = pageOf(c);
    if (!page.ok) return fail(c, page.error);
    const list = await listTasks(
      engine,
      { status: c.req.query('status') ?? 'all', q: c.req.query('q') ?? '' },
      page.value,
    );
    if (!list.ok) return fail(c, list.error);
    return c.json({ ok: true, ...list.value });
  });

  app.get('/api/evidence', async (c) => {
    const page = pageOf(c);
    if (!page.ok) return fail(c, page.error);
    const found = await evidenceIndex(engine, page.value);
    if (!found.ok) return fail(c, found.error);
    const { tasks: _tasks, ...list } = found.value.list;
    return c.json({ ok: true, ...list, tasks: found.value.rows });
  });

  app.get('/api/tasks/:id', async (c) => {
    const task = await engine.store.getTask(c.req.param('id'));
    if (!task) return unknownTask(c, c.req.param('id'));
    const node = c.req.query('node');
    const m = await taskDetail(engine, ctx.spans, task, {
      filter: parseFilter(c.req.query('show'), c.req.query('tool')),
      ...(node ? { node } : {}),
    });
    return c.json({
      ok: true,
      task,
      summary: m.summary,
      lease: liveLease(await engine.store.getLease(task.taskId), engine.clock.now().getTime()),
      visits: m.visits.map(({ nodes: _nodes, ...v }) => v),
      graph: {
        nodes: m.graph.nodes,
        edges: m.graph.edges,
        lanes: m.graph.lanes,
        tools: m.graph.tools,
        width: m.graph.width,
        height: m.graph.height,
      },
      entries: m.entries,
      ...(m.selected ? { selected: m.selected } : {}),
    });
  });

  app.get('/api/evidence/:task{.+}', async (c) => {
    const [taskId, ...rest] = evidenceSegments(c).slice(1);
    const task = taskId ? await engine.store.getTask(taskId) : undefined;
    if (!task) return unknownTask(c, taskId ?? '');
    const entries = await taskEntries(engine, task.taskId);
    if (rest.length === 0)
      return c.json({ ok: true, taskId: task.taskId, artifacts: taskArtifacts(engine, task, entries) });
    const path = ['evidence', task.taskId, ...rest].join('/');
    const content = readArtifact(engine, task, entries, path);
    if (!content)
      return fail(
        c,
        { code: ErrorCode.USAGE, message: `${task.taskId} has no artifact ${rest.join('/')}`, details: { path } },
        404,
      );
    return c.json({ ok: true, artifact: content.info, text: content.text });
  });

  app.get('/api/ledger', async (c) => {
    const task = c.req.query('task');
    const before = Number(c.req.query('before'));
    const limit = Number(c.req.query('limit'));
    const page = await ledgerPage(engine, {
      ...(task ? { task } : {}),
      ...(Number.isSafeInteger(before) && before > 0 ? { before } : {}),
      ...(Number.isSafeInteger(limit) && limit > 0 ? { limit } : {}),
    });
    return c.json({ ok: true, ...page });
  });

  app.post('/api/ledger/verify', async (c) => {
    const report = await verifyLedger(engine);
    ctx.lastVerify = { at: new Date().toISOString(), report };
    return c.json({ ok: true, report });
  });

  app.get('/api/metrics', async (c) => {
    const w = c.req.query('window');
    const window: WindowKey = w && w in WINDOWS ? (w as WindowKey) : '7d';
    return c.json({ ok: true, ...(await metricsView(engine, window)) });
  });

  app.get('/api/approvals', async (c) => {
    const waiting = await waitingApprovals(engine);
    return c.json({
      ok: true,
      waiting: waiting.map((w) => ({
        ...w,
        task: { taskId: w.task.taskId, title: w.task.title, phase: w.task.phase, status: w.task.status },
      })),
    });
  });
}
