/**
 * The BullMQ dashboard (bull-board) on the ops port, behind HTTP basic auth. Off unless both
 * PODNET_BOARD_USER and PODNET_BOARD_PASSWORD are set (src/config.ts refuses just one). It can
 * retry, promote and delete jobs, so it is never served without credentials; reach it through
 * `kubectl port-forward`, not a public Ingress.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';

/** Where the dashboard is served. */
export const BOARD_PATH = '/admin/queues';

export interface QueueBoardOptions {
  user: string;
  password: string;
  /** The queues shown at first; `setQueues` replaces them. */
  queues?: Queue[];
  /** Default {@link BOARD_PATH}. */
  basePath?: string;
}

export interface QueueBoard {
  readonly basePath: string;
  /** Answers requests under `basePath` (401 without the right credentials); false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Replaces the queues shown (the known clusters change as workers come and go). */
  setQueues(queues: Queue[]): void;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * True when the request carries `Authorization: Basic` with exactly this user and password.
 * Both are compared in constant time over fixed-length digests, so neither the length nor the
 * first wrong byte shows in the timing.
 */
export function basicAuthOk(header: string | undefined, user: string, password: string): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const userOk = timingSafeEqual(digest(decoded.slice(0, colon)), digest(user));
  const passwordOk = timingSafeEqual(digest(decoded.slice(colon + 1)), digest(password));
  return userOk && passwordOk;
}

/** Builds the dashboard; mount it with `startOpsServer({ extraRoutes: board.handle })`. */
export function createQueueBoard(options: QueueBoardOptions): QueueBoard {
  const basePath = options.basePath ?? BOARD_PATH;
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  const board = createBullBoard({
    queues: (options.queues ?? []).map((q) => new BullMQAdapter(q)),
    // @bull-board/express 9.10.1 carries its own copy of @bull-board/api (9.10.1) beside ours
    // (9.10.2): the same interface under two declarations, so TypeScript needs telling.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'podnet queues' } },
  });
  // The adapter's router is a whole express app; it routes paths relative to the mount point.
  const express = serverAdapter.getRouter() as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

  return {
    basePath,
    handle(req, res) {
      const url = req.url ?? '/';
      const path = url.split('?')[0] as string;
      if (path !== basePath && !path.startsWith(`${basePath}/`)) return false;
      if (!basicAuthOk(req.headers.authorization, options.user, options.password)) {
        res.writeHead(401, {
          'content-type': 'text/plain; charset=utf-8',
          'www-authenticate': 'Basic realm="podnet queues", charset="UTF-8"',
          'cache-control': 'no-store',
        });
        res.end('authentication required (PODNET_BOARD_USER / PODNET_BOARD_PASSWORD)\n');
        return true;
      }
      req.url = url.slice(basePath.length) || '/';
      if (req.url.startsWith('?')) req.url = `/${req.url}`;
      express(req, res, (err?: unknown) => {
        if (res.headersSent) return;
        res.writeHead(err ? 500 : 404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(err ? 'dashboard error\n' : 'not found\n');
      });
      return true;
    },
    setQueues(queues) {
      board.replaceQueues(queues.map((q) => new BullMQAdapter(q)));
    },
  };
}
