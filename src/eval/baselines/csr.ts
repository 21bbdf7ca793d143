/** Binary user×item matrix of the training data in CSR form, both directions. */
import type { TrainingData } from '../method';

export interface Csr {
  /** Row r's columns are cols[ptr[r] .. ptr[r+1]). */
  ptr: Int32Array;
  cols: Int32Array;
}

export interface UserItemMatrix {
  nUsers: number;
  nItems: number;
  byUser: Csr;
  byItem: Csr;
}

export function userItemMatrix(train: TrainingData): UserItemMatrix {
  const nUsers = train.users.length;
  const nItems = train.catalogue.ids.length;
  const uptr = new Int32Array(nUsers + 1);
  for (let u = 0; u < nUsers; u++) uptr[u + 1] = uptr[u] + train.users[u].events.length;
  const ucols = new Int32Array(uptr[nUsers]);
  const iptr = new Int32Array(nItems + 1);
  for (let u = 0; u < nUsers; u++) {
    let p = uptr[u];
    for (const e of train.users[u].events) {
      ucols[p++] = e.index;
      iptr[e.index + 1]++;
    }
  }
  for (let i = 0; i < nItems; i++) iptr[i + 1] += iptr[i];
  const icols = new Int32Array(iptr[nItems]);
  const fill = iptr.slice(0, nItems);
  for (let u = 0; u < nUsers; u++) {
    for (let p = uptr[u]; p < uptr[u + 1]; p++) icols[fill[ucols[p]]++] = u;
  }
  return { nUsers, nItems, byUser: { ptr: uptr, cols: ucols }, byItem: { ptr: iptr, cols: icols } };
}
