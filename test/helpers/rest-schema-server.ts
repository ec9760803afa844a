/**
 * @module A REST test server on node:http that holds every request and every response to a written API description:
 * endpoints as JSON Schemas (path and query parameters, the JSON body with no undocumented field, the response of
 * each status), validated with ajv. For forges that publish no OpenAPI document on npm (GitLab, Gitea), the
 * descriptions are written from their published API documentation (see gitlab-api.ts, gitea-api.ts). An undescribed
 * path, an undocumented parameter or field, a wrong type, or an undescribed response status is a mismatch, collected
 * for the test to assert none.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

export type Schema = Record<string, unknown>;
type Json = Record<string, unknown>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** One documented operation. */
export interface Endpoint {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path under the API's base, with `{name}` for each path parameter. */
  readonly path: string;
  /** The documentation page the description follows. */
  readonly doc: string;
  readonly params: Readonly<Record<string, Schema>>;
  readonly query?: Readonly<Record<string, Schema>>;
  /** The JSON body's schema; fields it does not name are mismatches. Absent: the operation takes no body. */
  readonly body?: Schema;
  /** The response's schema for each documented status (null: no body). */
  readonly responses: Readonly<Record<number, Schema | null>>;
}

/** A described API: its endpoints and the definitions they refer to as `#/definitions/<Name>`. */
export interface ApiDescription {
  readonly name: string;
  readonly endpoints: readonly Endpoint[];
  readonly definitions: Readonly<Record<string, Schema>>;
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a route is handed: the endpoint matched, its path and query parameters (typed), the JSON body. */
export type Route = (
  e: Endpoint,
  params: Record<string, unknown>,
  query: Record<string, unknown>,
  body: Json,
  req: IncomingMessage,
) => Reply;

export interface SchemaServer {
  readonly url: string;
  /** Every request and response that did not match the description. */
  readonly mismatches: string[];
  /** Requests as `METHOD path-template`, in order. */
  readonly calls: string[];
  /** The value of the authentication header, for each request. */
  readonly auth: string[];
  /**
   * Holds back the answer to the next request `match` accepts (its operation as `METHOD path-template`, its body),
   * after the route has made its effect: the client waits for an answer that never comes, as one killed in the middle
   * of a send would. Resolves once such a request has been handled.
   */
  holdNext(match: (where: string, body: Record<string, unknown>) => boolean): Promise<void>;
  close(): Promise<void>;
}

/** A query or path value read as its schema's type; left as text when it cannot be one (the schema then says no). */
function coerce(text: string, schema: Schema): unknown {
  const t = schema['type'];
  if (t === 'integer') return /^-?\d+$/.test(text) ? Number(text) : text;
  if (t === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

/** Starts the server; `authHeader` names the header whose value is recorded (the token). */
export async function startSchemaServer(api: ApiDescription, authHeader: string, route: Route): Promise<SchemaServer> {
  const ajv = new Ajv({ strict: true, strictTypes: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  const id = `https://schemas.test/${api.name}`;
  ajv.addSchema({ $id: id, definitions: api.definitions });
  const cache = new Map<string, ValidateFunction>();
  const rebase = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(rebase);
    if (!s || typeof s !== 'object') return s;
    const out: Json = {};
    for (const [k, v] of Object.entries(s as Json))
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${id}${v}` : rebase(v);
    return out;
  };
  const validator = (key: string, schema: Schema): ValidateFunction => {
    let v = cache.get(key);
    if (!v) {
      v = ajv.compile(rebase(schema) as Schema);
      cache.set(key, v);
    }
    return v;
  };
  const ops = api.endpoints.map((e) => {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${e.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, n: string) => {
        names.push(n);
        return '([^/]+)';
      })}$`,
    );
    return { e, names, pattern };
  });
  const mismatches: string[] = [];
  const calls: string[] = [];
  const auth: string[] = [];
  const holds: { match: (where: string, body: Json) => boolean; handled: () => void }[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    // The raw path, so that an escaped segment (GitLab's group%2Fproject) stays one segment.
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    const send = (r: Reply) => {
      res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', ...(r.headers ?? {}) });
      res.end(r.body === null ? '' : JSON.stringify(r.body));
    };
    const op = ops.find((o) => o.e.method === method && o.pattern.test(path));
    if (!op) {
      mismatches.push(`${method} ${path}: not an operation of the ${api.name} description`);
      return send({ status: 404, body: { message: '404 Not Found' } });
    }
    const where = `${method} ${op.e.path}`;
    calls.push(where);
    auth.push(String(req.headers[authHeader] ?? ''));
    const problems: string[] = [];
    const m = op.pattern.exec(path)!;
    const params: Record<string, unknown> = {};
    for (const [name, schema] of Object.entries(op.e.params)) {
      const text = decodeURIComponent(m[op.names.indexOf(name) + 1] ?? '');
      const value = coerce(text, schema);
      const v = validator(`${where} path ${name}`, schema);
      if (!v(value)) problems.push(`path parameter ${name}=${text}: ${ajv.errorsText(v.errors)}`);
      params[name] = value;
    }
    const query: Record<string, unknown> = {};
    for (const [name, text] of url.searchParams) {
      const schema = op.e.query?.[name];
      if (!schema) {
        problems.push(`undocumented query parameter ${name}`);
        continue;
      }
      const value = coerce(text, schema);
      const v = validator(`${where} query ${name}`, schema);
      if (!v(value)) problems.push(`query parameter ${name}=${text}: ${ajv.errorsText(v.errors)}`);
      query[name] = value;
    }
    let body: Json = {};
    if (raw.length > 0 || op.e.body) {
      if (!op.e.body) problems.push('a body where the operation takes none');
      else if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
        problems.push(`body sent as ${String(req.headers['content-type'] ?? 'nothing')}, not application/json`);
      else {
        try {
          body = raw ? (JSON.parse(raw) as Json) : {};
          const v = validator(`${where} body`, op.e.body);
          if (!v(body)) problems.push(`body: ${ajv.errorsText(v.errors)}`);
        } catch {
          problems.push('body is not JSON');
        }
      }
    }
    if (problems.length) {
      mismatches.push(`${where}: ${problems.join('; ')}`);
      return send({ status: 400, body: { message: problems.join('; ') } });
    }
    const reply = route(op.e, params, query, body, req);
    if (!(reply.status in op.e.responses)) mismatches.push(`${where}: status ${reply.status} is not documented`);
    else {
      const schema = op.e.responses[reply.status];
      if (schema) {
        const v = validator(`${where} response ${reply.status}`, schema);
        if (!v(reply.body)) mismatches.push(`${where} response ${reply.status}: ${ajv.errorsText(v.errors)}`);
      }
    }
    const hold = holds.findIndex((h) => h.match(where, body));
    // The answer stays unsent; close() (or the client's death) ends the connection.
    if (hold >= 0) return holds.splice(hold, 1)[0]!.handled();
    send(reply);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        mismatches.push(`server error: ${(err as Error).stack ?? String(err)}`);
        res.writeHead(500).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    mismatches,
    calls,
    auth,
    holdNext: (match) => new Promise<void>((handled) => holds.push({ match, handled })),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
