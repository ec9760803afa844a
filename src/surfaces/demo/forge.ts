/**
 * @module The demo's local forge: a small server on 127.0.0.1 that speaks the GitHub REST paths Autopilot's GitHub
 * adapter uses (pull requests, issue comments, commit statuses, check runs), so that the demo opens a real pull
 * request through the outbox without a network. Branch heads are read from the bare repository the demo pushes to;
 * its CI is the demo's own test run, reported as a check run.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

interface Pull {
  number: number;
  title: string;
  body: string;
  head: string;
  sha: string;
  base: string;
}

export interface DemoForge {
  /** The API's base URL (`pr.apiUrl`). */
  readonly url: string;
  readonly pulls: readonly Pull[];
  readonly comments: readonly { id: number; issue: number; body: string }[];
  /** Records the result of a CI run on a commit as a completed check run. */
  setCheck(sha: string, name: string, passed: boolean): void;
  close(): Promise<void>;
}

/** Starts the forge for `owner/repo`, its branches in the bare repository `bare`; requests must carry `token`. */
export async function startDemoForge(opts: {
  owner: string;
  repo: string;
  bare: string;
  token: string;
}): Promise<DemoForge> {
  const { owner, repo, bare } = opts;
  const pulls: Pull[] = [];
  const comments: { id: number; issue: number; body: string; at: string }[] = [];
  const statuses: { sha: string; state: string; context: string; description: string; target_url: string | null }[] =
    [];
  const checks = new Map<string, { name: string; passed: boolean; at: string }[]>();
  let nextId = 1;
  const base = { url: '' };
  const web = () => `${base.url}/${owner}/${repo}`;
  const at = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const head = (branch: string): string | null => {
    try {
      return execFileSync(
        'git',
        ['--git-dir', bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`],
        {
          encoding: 'utf8',
        },
      ).trim();
    } catch {
      return null;
    }
  };
  const pullJson = (p: Pull) => ({
    number: p.number,
    state: 'open',
    title: p.title,
    body: p.body,
    html_url: `${web()}/pull/${p.number}`,
    url: `${base.url}/repos/${owner}/${repo}/pulls/${p.number}`,
    head: { ref: p.head, sha: p.sha, label: `${owner}:${p.head}` },
    base: { ref: p.base, sha: head(p.base) ?? p.sha, label: `${owner}:${p.base}` },
  });
  const commentJson = (c: (typeof comments)[number]) => ({
    id: c.id,
    body: c.body,
    html_url: `${web()}/pull/${c.issue}#issuecomment-${c.id}`,
    created_at: c.at,
    updated_at: c.at,
  });

  type Reply = [number, unknown];
  const route = (method: string, path: string, query: URLSearchParams, body: Record<string, unknown>): Reply => {
    const prefix = `/repos/${owner}/${repo}`;
    if (!path.startsWith(prefix)) return [404, { message: 'Not Found' }];
    const rest = path.slice(prefix.length);
    let m: RegExpExecArray | null;
    if (method === 'GET' && rest === '')
      return [200, { name: repo, full_name: `${owner}/${repo}`, default_branch: 'main' }];
    if (rest === '/pulls' && method === 'GET') {
      const want = query.get('head');
      return [200, pulls.filter((p) => !want || `${owner}:${p.head}` === want).map(pullJson)];
    }
    if (rest === '/pulls' && method === 'POST') {
      const branch = String(body['head'] ?? '');
      const sha = head(branch);
      if (!sha) return [422, { message: `Validation Failed: no branch ${branch}` }];
      if (pulls.some((p) => p.head === branch))
        return [422, { message: `A pull request already exists for ${owner}:${branch}.` }];
      const p = {
        number: pulls.length + 1,
        title: String(body['title'] ?? ''),
        body: String(body['body'] ?? ''),
        head: branch,
        sha,
        base: String(body['base'] ?? 'main'),
      };
      pulls.push(p);
      return [201, pullJson(p)];
    }
    if ((m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const p = pulls.find((x) => x.number === Number(m![1]));
      if (!p) return [404, { message: 'Not Found' }];
      if (method === 'PATCH') {
        if (typeof body['title'] === 'string') p.title = body['title'];
        if (typeof body['body'] === 'string') p.body = body['body'];
      }
      p.sha = head(p.head) ?? p.sha;
      return [200, pullJson(p)];
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const issue = Number(m[1]);
      if (!pulls.some((p) => p.number === issue)) return [404, { message: 'Not Found' }];
      if (method === 'GET') return [200, comments.filter((c) => c.issue === issue).map(commentJson)];
      const c = { id: nextId++, issue, body: String(body['body'] ?? ''), at: at() };
      comments.push(c);
      return [201, commentJson(c)];
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const c = comments.find((x) => x.id === Number(m![1]));
      if (!c) return [404, { message: 'Not Found' }];
      c.body = String(body['body'] ?? '');
      return [200, commentJson(c)];
    }
    if ((m = /^\/statuses\/([0-9a-f]+)$/.exec(rest)) && method === 'POST') {
      const s = {
        sha: m[1]!,
        state: String(body['state'] ?? 'pending'),
        context: String(body['context'] ?? 'default'),
        description: String(body['description'] ?? ''),
        target_url: typeof body['target_url'] === 'string' ? body['target_url'] : null,
      };
      statuses.push(s);
      return [201, { id: nextId++, ...s, created_at: at(), updated_at: at() }];
    }
    if ((m = /^\/commits\/([^/]+)\/status$/.exec(rest))) {
      const latest = new Map<string, (typeof statuses)[number]>();
      for (const s of statuses) if (s.sha === m[1]) latest.set(s.context, s);
      const items = [...latest.values()].reverse();
      const state = items.some((s) => s.state !== 'success' && s.state !== 'pending') ? 'failure' : 'success';
      return [200, { state, sha: m[1], total_count: items.length, statuses: items }];
    }
    if ((m = /^\/commits\/([^/]+)\/check-runs$/.exec(rest))) {
      const runs = (checks.get(m[1]!) ?? []).map((c, i) => ({
        id: 100 + i,
        name: c.name,
        head_sha: m![1],
        status: 'completed',
        conclusion: c.passed ? 'success' : 'failure',
        completed_at: c.at,
        html_url: `${web()}/runs/${100 + i}`,
      }));
      return [200, { total_count: runs.length, check_runs: runs }];
    }
    return [404, { message: 'Not Found' }];
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = ([status, body]: Reply) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    // A token is asked for as GitHub asks, so that the demo's run shows where Autopilot keeps one.
    if (req.headers.authorization !== `token ${opts.token}`) return send([401, { message: 'Bad credentials' }]);
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return send([400, { message: 'Problems parsing JSON' }]);
    }
    send(route(req.method ?? 'GET', url.pathname.replace(/\/+$/, ''), url.searchParams, body));
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url: base.url,
    pulls,
    comments,
    setCheck: (sha, name, passed) => void checks.set(sha, [...(checks.get(sha) ?? []), { name, passed, at: at() }]),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
