// Entry point of a mirror worker thread: wires the MirrorService to the thread's port, nothing else.

import { parentPort } from 'node:worker_threads';
import type { FromMirrorWorker, ToMirrorWorker } from './mirrorProtocol.js';
import { MirrorService } from './mirrorService.js';

if (!parentPort) throw new Error('mirrorWorker runs as a worker thread (MirrorHost starts it)');
const port = parentPort;
const service = new MirrorService((message, transfer) => port.postMessage(message, transfer));
port.on('message', (message: ToMirrorWorker) => service.handle(message));
port.postMessage({ type: 'ready' } satisfies FromMirrorWorker);
