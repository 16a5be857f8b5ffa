#!/usr/bin/env node
// Compares gocnn's per-node times with onnxruntime's on one model, layer
// by layer: see bench/compare_ort.sh (NODES=1) and bench/README.md. Not
// run by CI.
//
//   node bench/ort_nodes.js INSPECT.json PROFILE.json ORT_NODES.json [TOP]
//
// INSPECT.json is `gocnn inspect -json MODEL`, PROFILE.json `gocnn bench
// MODEL -profile -json`, ORT_NODES.json `ort_bench.js MODEL -nodes`. The
// two graphs are fused differently, so only convolutions and matrix
// products are paired: by output size and weight bytes, in execution
// order among equals (then by output size alone, for weights that
// onnxruntime stores padded, then by an output up to 2 % larger, for
// output channels it pads). onnxruntime's other nodes (activations
// it did not fuse, layout reorders, pooling) are summed by operator.
'use strict';

const fs = require('fs');

const [inspectFile, profileFile, ortFile, topArg] = process.argv.slice(2);
if (!ortFile) {
  process.stderr.write('usage: ort_nodes.js INSPECT.json PROFILE.json ORT_NODES.json [TOP]\n');
  process.exit(2);
}
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const inspect = read(inspectFile);
const profile = read(profileFile);
const ort = read(ortFile);
const top = Number(topArg) || 25;
const matmul = /Conv|Gemm|MatMul/;

const layers = new Map(inspect.layers.map((l) => [l.name, l]));
const convs = ort.filter((n) => matmul.test(n.op));
const other = new Map(); // onnxruntime op → ms
for (const n of ort) {
  if (!matmul.test(n.op)) other.set(n.op, (other.get(n.op) || 0) + n.median_ms);
}
// take removes and returns the first unpaired onnxruntime node that ok accepts.
const take = (ok) => {
  const i = convs.findIndex(ok);
  return i < 0 ? undefined : convs.splice(i, 1)[0];
};
const rows = [];
let ours = 0;
let theirs = 0;
for (const p of profile.profile) {
  if (!matmul.test(p.OpType)) continue;
  const g = p.Median / 1e6;
  const l = layers.get(p.Name);
  const n = l ? l.output_shape.reduce((x, y) => x * y, 1) : -1;
  // Last, an output padded to onnxruntime's channel blocks (SqueezeNet's
  // 1000 classes as 1008).
  const o = take((c) => c.out_elems === n && c.param_bytes === 4 * l.params) || take((c) => c.out_elems === n) ||
    take((c) => n > 0 && c.out_elems > n && c.out_elems <= 1.02 * n);
  if (o) {
    ours += g;
    theirs += o.median_ms;
  }
  rows.push({ diff: o ? g - o.median_ms : 0, g, o: o ? o.median_ms : NaN, kernel: p.Kernel, name: p.Name });
}
const f = (x, w = 7) => (Number.isNaN(x) ? '-' : x.toFixed(3)).padStart(w);
const sum = (xs) => xs.reduce((x, y) => x + y, 0);
console.log(`gocnn: median run ${profile.median_ms.toFixed(3)} ms, ${profile.threads} threads`);
console.log(`onnxruntime: sum of node medians ${sum(ort.map((n) => n.median_ms)).toFixed(3)} ms (profiled)`);
console.log(`paired convolutions and products: gocnn ${ours.toFixed(3)} ms, onnxruntime ${theirs.toFixed(3)} ms`);
console.log(`onnxruntime's other nodes: ${[...other].sort((x, y) => y[1] - x[1]).map(([op, ms]) => `${op} ${ms.toFixed(2)}`).join(', ')}`);
console.log(`unpaired onnxruntime convolutions and products: ${convs.length}`);
console.log(`\n${'gocnn-ort'.padStart(9)} ${'gocnn'.padStart(7)} ${'ort'.padStart(7)}  kernel                  node`);
rows.sort((x, y) => y.diff - x.diff);
const shown = rows.length > 2 * top ? [...rows.slice(0, top), null, ...rows.slice(-top)] : rows;
for (const r of shown) {
  if (!r) {
    console.log('      ...');
    continue;
  }
  console.log(`${f(r.diff, 9)} ${f(r.g)} ${f(r.o)}  ${r.kernel.padEnd(22)}  ${r.name}`);
}
