// The node agent's cluster DNS as its own process, for tests that need it inside a worker's
// network namespace (Node cannot enter one): the same records, server and local address code as
// the agent, fed with Services and EndpointSlices as JSON lines on stdin instead of informers.
//   tsx dns-node.ts <listen ip> <upstreams, comma-separated or -> <zone> [--no-local-address]
// Prints "ready", then "applied <n>" after each line.
import { processRunner } from '@flotilla/kube-proxy';
import type { EndpointSlice, Service } from '@flotilla/kube-proxy';
import { ClusterDnsServer, ClusterRecords, ensureLocalDnsAddress } from '@flotilla/node-network';
import { JsonLogger } from '@flotilla/observability';
import { createInterface } from 'node:readline';

async function main(): Promise<void> {
  const [ip, upstreams, zone, flag] = process.argv.slice(2);
  const records = new ClusterRecords(zone);
  const logger = new JsonLogger({
    node: 'dns-node',
    component: 'dns',
    sink: (l) => process.stderr.write(l + '\n'),
  });
  if (flag !== '--no-local-address') await ensureLocalDnsAddress(processRunner(), ip);
  const server = new ClusterDnsServer({
    records,
    upstreams: upstreams === '-' ? [] : upstreams.split(','),
    logger,
  });
  await server.listen(ip, 53);
  let n = 0;
  createInterface({ input: process.stdin }).on('line', (line) => {
    const { op, obj } = JSON.parse(line) as {
      op: 'upsert' | 'delete';
      obj: Service | EndpointSlice;
    };
    if (obj.kind === 'Service') {
      if (op === 'upsert') records.upsertService(obj as Service);
      else records.deleteService(obj as Service);
    } else if (op === 'upsert') records.upsertSlice(obj as EndpointSlice);
    else records.deleteSlice(obj as EndpointSlice);
    console.log(`applied ${++n}`);
  });
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
  console.log('ready');
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
