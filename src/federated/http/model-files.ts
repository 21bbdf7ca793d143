/** The model file routes: the current version (revalidated) and every kept version by number (immutable). */
import type { FastifyInstance, FastifyReply } from 'fastify';
import * as v from 'valibot';
import type { EncodedModel } from '../../model/format';
import type { Coordinator } from '../coordinator';

const FILE = v.picklist(['manifest.json', 'weights.bin', 'items.json']);
type ModelFile = v.InferOutput<typeof FILE>;
const VersionParams = v.object({ version: v.pipe(v.string(), v.regex(/^\d{1,9}$/), v.transform(Number)), file: FILE });
const CurrentParams = v.object({ file: FILE });

const CONTENT_TYPES: Record<ModelFile, string> = {
  'manifest.json': 'application/json',
  'weights.bin': 'application/octet-stream',
  'items.json': 'application/json',
};

function sendFile(reply: FastifyReply, file: ModelFile, model: EncodedModel, immutable: boolean): FastifyReply {
  const bytes = file === 'manifest.json' ? JSON.stringify(model.manifest) : Buffer.from(model.files[file]);
  return reply
    .type(CONTENT_TYPES[file])
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .send(bytes);
}

export function modelFileRoutes(app: FastifyInstance, c: Coordinator): void {
  app.get('/v1/model/:file', async (req, reply) => {
    const p = v.safeParse(CurrentParams, req.params);
    if (!p.success) return reply.code(404).send({ code: 'not-found', message: 'no such model file', details: {} });
    await c.refresh();
    return sendFile(reply, p.output.file, c.currentModel(), false);
  });

  app.get('/v1/models/:version/:file', async (req, reply) => {
    const p = v.safeParse(VersionParams, req.params);
    const model = p.success ? await c.modelVersion(p.output.version) : null;
    if (!p.success || !model) return reply.code(404).send({ code: 'not-found', message: 'no such model version or file', details: {} });
    return sendFile(reply, p.output.file, model, true);
  });
}
