#!/usr/bin/env node
// Times an ONNX model with onnxruntime-node (CPU) for comparison with
// `gocnn bench`: see bench/compare_ort.sh and bench/README.md. Not run by CI.
//
//   NODE_PATH=/tmp/ortbench/node_modules node bench/ort_bench.js MODEL.onnx [-threads N] [-n RUNS] [-warmup W] [-loads L]
//       [-in INPUT.npy] [-out OUTPUT.npy] [-compare OTHER.npy] [-nodes NODES.json]
//
// Session: intra-op threads N (inter-op 1), graphOptimizationLevel "all",
// sequential execution. Inputs are standard-normal (fixed seed) with
// symbolic dimensions set to 1, or the float32 .npy file of -in for the first
// input; -out writes the first output as float32 .npy; -compare reports how
// far the first output is from another runtime's (max_abs_diff, relative to
// max_abs_ref, onnxruntime's largest magnitude). It prints one JSON object: the session
// creation time (median of L creations, each from the file), and the
// median/min/p90/mean of RUNS timed runs after W warm-up runs. -nodes runs
// the last session with onnxruntime's profiler and writes each node's
// median kernel time over the timed runs (execution order: name, op,
// output elements, weight bytes, median_ms) for bench/ort_nodes.js; the profiler's
// overhead is in the run times then, and onnxruntime prints the
// profile's file name to stdout before the JSON object.
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

function parseArgs(argv) {
  const a = { model: '', threads: 1, n: 20, warmup: 3, loads: 3, input: '', output: '', compare: '', nodes: '' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${k}: want a non-negative integer`);
      return v;
    };
    if (k === '-threads') a.threads = num();
    else if (k === '-n') a.n = num();
    else if (k === '-warmup') a.warmup = num();
    else if (k === '-loads') a.loads = num();
    else if (k === '-in') a.input = argv[++i];
    else if (k === '-out') a.output = argv[++i];
    else if (k === '-compare') a.compare = argv[++i];
    else if (k === '-nodes') a.nodes = argv[++i];
    else if (!a.model && !k.startsWith('-')) a.model = k;
    else throw new Error(`unknown argument ${k}`);
  }
  if (!a.model || a.n < 1 || a.loads < 1) {
    throw new Error('usage: ort_bench.js MODEL.onnx [-threads N] [-n RUNS] [-warmup W] [-loads L]');
  }
  return a;
}

// A small seeded generator (xorshift32) and Box-Muller normals.
function normals(count, seed) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < count) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

// readNpy reads a little-endian float32 C-order .npy file.
function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${path}: want little-endian float32 in C order, have ${header.trim()}`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').map((d) => d.trim()).filter((d) => d).map(Number);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
  return { shape, data };
}

// writeNpy writes float32 data of the given shape as a version 1.0 .npy file.
function writeNpy(path, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

function stats(ms) {
  const s = [...ms].sort((x, y) => x - y);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const mean = s.reduce((x, y) => x + y, 0) / n;
  return { median_ms: median, min_ms: s[0], p90_ms: s[Math.ceil(0.9 * n) - 1], mean_ms: mean, max_ms: s[n - 1] };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const opts = {
    executionProviders: ['cpu'],
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  const loads = [];
  let session;
  for (let i = 0; i < a.loads; i++) {
    if (session) await session.release();
    const last = i === a.loads - 1;
    const o = last && a.nodes ? { ...opts, enableProfiling: true, profileFilePrefix: a.nodes + '.ort' } : opts;
    const t0 = nowMs();
    session = await ort.InferenceSession.create(a.model, o);
    loads.push(nowMs() - t0);
  }
  const feeds = {};
  const inputs = [];
  for (const [i, name] of session.inputNames.entries()) {
    const meta = session.inputMetadata ? session.inputMetadata[i] : undefined;
    if (i === 0 && a.input) {
      const t = readNpy(a.input);
      feeds[name] = new ort.Tensor('float32', t.data, t.shape);
      inputs.push({ name, shape: t.shape, source: a.input });
      continue;
    }
    const shape = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) : [1, 3, 224, 224];
    const count = shape.reduce((x, y) => x * y, 1);
    feeds[name] = new ort.Tensor('float32', normals(count, 12345 + i), shape);
    inputs.push({ name, shape, source: 'random' });
  }
  const check = {};
  if (a.output || a.compare) {
    const out = (await session.run(feeds))[session.outputNames[0]];
    if (a.output) writeNpy(a.output, out.dims, out.data);
    if (a.compare) {
      const other = readNpy(a.compare);
      if (other.data.length !== out.data.length) {
        throw new Error(`${a.compare}: ${other.data.length} values, onnxruntime gives ${out.data.length}`);
      }
      let diff = 0;
      let ref = 0;
      for (let i = 0; i < out.data.length; i++) {
        diff = Math.max(diff, Math.abs(out.data[i] - other.data[i]));
        ref = Math.max(ref, Math.abs(out.data[i]));
      }
      Object.assign(check, { compared_with: a.compare, max_abs_diff: diff, max_abs_ref: ref, rel_diff: diff / ref });
    }
  }
  for (let i = 0; i < a.warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < a.n; i++) {
    const t0 = nowMs();
    await session.run(feeds);
    times.push(nowMs() - t0);
  }
  if (a.nodes) {
    // Every run's kernel time per node; the first runs (output check,
    // warm-up) are dropped by count, the same for every node.
    session.endProfiling(); // (it names the file on stdout itself)
    const path = require('path');
    const dir = path.dirname(a.nodes);
    const base = path.basename(a.nodes) + '.ort_';
    const file = fs.readdirSync(dir).filter((f) => f.startsWith(base)).map((f) => path.join(dir, f))
      .sort((x, y) => fs.statSync(y).mtimeMs - fs.statSync(x).mtimeMs)[0];
    if (!file) throw new Error(`no onnxruntime profile ${base}* in ${dir}`);
    const per = new Map();
    for (const e of JSON.parse(fs.readFileSync(file, 'utf8'))) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const name = e.name.slice(0, -'_kernel_time'.length);
      if (!per.has(name)) {
        const shape = (e.args.output_type_shape || []).map((t) => Object.values(t)[0])[0] || [];
        per.set(name, { name, op: e.args.op_name, out_elems: shape.reduce((x, y) => x * y, 1), param_bytes: Number(e.args.parameter_size) || 0, us: [] });
      }
      per.get(name).us.push(e.dur);
    }
    fs.unlinkSync(file);
    const nodes = [...per.values()].map((v) => ({ name: v.name, op: v.op, out_elems: v.out_elems, param_bytes: v.param_bytes, median_ms: stats(v.us.slice(-a.n).map((u) => u / 1000)).median_ms }));
    fs.writeFileSync(a.nodes, JSON.stringify(nodes, null, 1) + '\n');
  }
  await session.release();
  const res = {
    runtime: 'onnxruntime-node ' + ort.env.versions.common,
    model: a.model,
    inputs,
    threads: a.threads,
    runs: a.n,
    warmup: a.warmup,
    load_ms: stats(loads).median_ms,
    load_runs_ms: loads,
    ...stats(times),
    ...check,
  };
  process.stdout.write(JSON.stringify(res, null, 2) + '\n');
}

main().catch((e) => {
  process.stderr.write(`ort_bench: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
