/** @module The dashboard's pages: server-rendered HTML, one route a page. */
import type { Context, Hono } from 'hono';
import { listTasks, summarize, taskEntries } from './read/tasks.ts';
import { parseFilter, taskDetail } from './read/task-detail.ts';
import { evidenceIndex, readArtifact, taskArtifacts } from './read/evidence.ts';
import { metricsView, WINDOWS, type WindowKey } from './read/metrics.ts';
import { ledgerPage } from './read/ledger.ts';
import { waitingApprovals, contractChanges, gateInputChanges } from './read/approvals.ts';
import { renderPage, type DashboardContext } from './context.ts';
import type { Section } from './views/layout.ts';
import { tasksBody } from './views/tasks.ts';
import { taskBody } from './views/task.ts';
import { artifactBody, evidenceIndexBody, taskEvidenceBody } from './views/evidence.ts';
import { verifyFindings } from './read/verify-findings.ts';
import { metricsBody } from './views/metrics.ts';
import { ledgerBody, TASK_SUGGESTIONS } from './views/ledger.ts';
import { approvalsBody } from './views/approvals.ts';
import { registerBody } from './views/register.ts';
import { credentialOf } from '../../engine/ledger/passkeys.ts';
import { errorBody } from './views/layout.ts';

/** The path segments after `/evidence/`, decoded: `[task, ...rest]`. */
export function evidenceSegments(c: Context): string[] {
  const path = new URL(c.req.url).pathname;
  return path
    .split('/')
    .slice(2)
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

const intParam = (v: string | undefined) => (v !== undefined && /^\d{1,12}$/.test(v) ? Number(v) : undefined);

export function mountPages(app: Hono, ctx: DashboardContext): void {
  const { engine } = ctx;
  const notFound = async (c: Context, what: string) =>
    c.html(await renderPage(ctx, 'tasks', 'Not found', errorBody('Not found', what)), 404);

  /** The page of the task list a request asks for: its offset, or the task it starts after or ends before. */
  const pageOf = (c: Context) => {
    const after = c.req.query('after');
    const before = c.req.query('before');
    const limit = intParam(c.req.query('limit'));
    return {
      offset: intParam(c.req.query('offset')) ?? 0,
      ...(limit !== undefined ? { limit } : {}),
      ...(after ? { after } : before ? { before } : {}),
    };
  };
  const refused = async (c: Context, section: Section, message: string) =>
    c.html(await renderPage(ctx, section, 'Not found', errorBody('Not found', message)), 404);

  app.get('/', async (c) => {
    const status = c.req.query('status') ?? 'all';
    const q = c.req.query('q') ?? '';
    const found = await listTasks(engine, { status, q }, pageOf(c));
    if (!found.ok) return refused(c, 'tasks', `${found.error.message}.`);
    const list = found.value;
    return c.html(
      await renderPage(
        ctx,
        'tasks',
        'Tasks',
        tasksBody({
          ...list,
          phases: engine.config.phases,
          status,
          q,
          nowMs: engine.clock.now().getTime(),
          wall: ctx.wall,
        }),
      ),
    );
  });

  app.get('/tasks/:id', async (c) => {
    const task = await engine.store.getTask(c.req.param('id'));
    if (!task) return notFound(c, `There is no task ${c.req.param('id')}.`);
    const node = c.req.query('node');
    const model = await taskDetail(engine, ctx.spans, task, {
      filter: parseFilter(c.req.query('show'), c.req.query('tool')),
      ...(node ? { node } : {}),
    });
    return c.html(await renderPage(ctx, 'tasks', `${task.taskId} ${task.title}`.trim(), taskBody(model)));
  });

  app.get('/approvals', async (c) => {
    const recent = (await engine.store.entries({ kind: 'approval', newestFirst: true, limit: 40 }))
      .filter((x) => x.data['action'] !== 'requested')
      .slice(0, 12);
    const aborted = (await engine.store.entries({ kind: 'task_aborted', newestFirst: true, limit: 12 })).filter((x) =>
      String(x.data['by'] ?? '').startsWith('person:'),
    );
    const adopted = await engine.store.entries({ kind: 'contract_adopted', newestFirst: true, limit: 12 });
    const allowed = await engine.store.entries({ kind: 'gate_inputs_adopted', newestFirst: true, limit: 12 });
    const decisions = [...recent, ...aborted, ...adopted, ...allowed].sort((a, b) => b.seq - a.seq).slice(0, 12);
    return c.html(
      await renderPage(
        ctx,
        'approvals',
        'Approvals',
        approvalsBody({
          waiting: await waitingApprovals(engine),
          contracts: await contractChanges(engine),
          gateInputs: await gateInputChanges(engine),
          recent: decisions,
          people: [
            ...new Set(
              (await engine.store.entries({ kind: 'person_registered' }))
                .map((x) => credentialOf(x)?.name ?? '')
                .filter(Boolean),
            ),
          ],
          nowMs: engine.clock.now().getTime(),
        }),
      ),
    );
  });

  app.get('/register', async (c) =>
    c.html(
      await renderPage(
        ctx,
        'approvals',
        'Register a passkey',
        registerBody({
          registrations: await engine.store.entries({ kind: 'person_registered' }),
          nowMs: engine.clock.now().getTime(),
        }),
      ),
    ),
  );

  app.get('/evidence', async (c) => {
    const found = await evidenceIndex(engine, pageOf(c));
    if (!found.ok) return refused(c, 'evidence', `${found.error.message}.`);
    return c.html(await renderPage(ctx, 'evidence', 'Evidence', evidenceIndexBody(found.value)));
  });

  app.get('/evidence/:task{.+}', async (c) => {
    const [taskId, ...rest] = evidenceSegments(c);
    const task = taskId ? await engine.store.getTask(taskId) : undefined;
    if (!task) return notFound(c, `There is no task ${taskId ?? ''}.`);
    const entries = await taskEntries(engine, task.taskId);
    if (rest.length === 0) {
      return c.html(
        await renderPage(
          ctx,
          'evidence',
          `Evidence of ${task.taskId}`,
          taskEvidenceBody(
            await summarize(engine, task),
            taskArtifacts(engine, task, entries),
            engine.config.phases,
            verifyFindings(engine, task, entries),
          ),
        ),
      );
    }
    const path = ['evidence', task.taskId, ...rest].join('/');
    const content = readArtifact(engine, task, entries, path);
    if (!content) return notFound(c, `${task.taskId} has no artifact ${rest.join('/')}.`);
    if (c.req.query('raw') !== undefined) {
      if (content.text === null) return c.text('not a text file', 404);
      return c.body(content.text, 200, {
        'content-type': 'text/plain; charset=utf-8',
        'content-security-policy': "default-src 'none'; sandbox",
      });
    }
    return c.html(
      await renderPage(
        ctx,
        'evidence',
        `${content.info.name} · ${task.taskId}`,
        artifactBody(task.taskId, content, c.req.query('q') ?? ''),
      ),
    );
  });

  app.get('/metrics', async (c) => {
    const w = c.req.query('window');
    const window: WindowKey = w && w in WINDOWS ? (w as WindowKey) : '7d';
    return c.html(await renderPage(ctx, 'metrics', 'Metrics', metricsBody(await metricsView(engine, window))));
  });

  app.get('/ledger', async (c) => {
    const task = c.req.query('task') ?? '';
    const before = intParam(c.req.query('before'));
    const limit = intParam(c.req.query('limit'));
    const page = await ledgerPage(engine, {
      ...(task ? { task } : {}),
      ...(before !== undefined ? { before } : {}),
      limit: limit ?? 50,
    });
    // The task filter suggests the most recently moved tasks; the page's script asks the API for those matching what
    // is typed: the page does not grow with the number of tasks.
    const tasks = (await engine.store.taskPage({ limit: TASK_SUGGESTIONS })).tasks.map((t) => ({
      taskId: t.taskId,
      title: t.title,
    }));
    return c.html(await renderPage(ctx, 'ledger', 'Ledger', ledgerBody({ page, task, tasks, last: ctx.lastVerify })));
  });
}
