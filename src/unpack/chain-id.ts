// Chain IDs (image-spec config.md#layer-chainid): the identity of a stack of
// layers, so a layer shared by two images is unpacked once.
//   ChainID(L0) = DiffID(L0);  ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))
import { sha256Hex } from '../util/sha256.js';

export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : 'sha256:' + sha256Hex(`${prev} ${d}`));
  }
  return out;
}

export function chainId(diffIds: string[]): string {
  const ids = chainIds(diffIds);
  if (ids.length === 0) throw new Error('an image needs at least one layer');
  return ids[ids.length - 1];
}
