#!/usr/bin/env node
// Builds native/build/loom.node against libtorch.
//
//   LOOM_LIBTORCH=/path/to/torch   a libtorch (or PyTorch's torch/ folder) with include/ and lib/;
//                                  default: Debian's libtorch-dev (/usr/include, /usr/lib/<triplet>)
//   LOOM_CXX11_ABI=0|1             _GLIBCXX_USE_CXX11_ABI (default 1, as Debian and PyTorch >= 2.x builds)
//   LOOM_CUDA=0|1                  link the CUDA libraries (default: when libtorch_cuda.so is present)
//   CXX                            compiler (default g++)
//   LOOM_JOBS                      parallel compile jobs (default: number of cores)
//
// Objects are cached in native/build/obj and rebuilt only when a source or header is newer.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'native', 'src');
const buildDir = join(root, 'native', 'build');
const objDir = join(buildDir, 'obj');
const out = join(buildDir, 'loom.node');
const require = createRequire(import.meta.url);

function fail(msg) {
  console.error(`\nloom: native build failed: ${msg}\n`);
  process.exit(1);
}

function findTorch() {
  const env = process.env.LOOM_LIBTORCH;
  if (env) {
    const inc = join(env, 'include');
    const lib = join(env, 'lib');
    if (!existsSync(join(inc, 'ATen', 'ATen.h'))) fail(`LOOM_LIBTORCH=${env} has no include/ATen/ATen.h`);
    if (!existsSync(join(lib, 'libtorch.so')) && !existsSync(join(lib, 'libtorch_cpu.so')))
      fail(`LOOM_LIBTORCH=${env} has no lib/libtorch.so`);
    return { includes: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], lib };
  }
  const incRoots = ['/usr/include', '/usr/local/include'];
  const inc = incRoots.find((d) => existsSync(join(d, 'ATen', 'ATen.h')));
  const libDirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  const lib = libDirs.find((d) => existsSync(join(d, 'libtorch.so')));
  if (!inc || !lib)
    fail(
      'libtorch was not found. Install Debian\'s package (apt-get install libtorch-dev) or point ' +
        'LOOM_LIBTORCH at a libtorch folder that holds include/ and lib/ (for a PyTorch install: ' +
        'python3 -c "import torch,os;print(os.path.dirname(torch.__file__))").',
    );
  return { includes: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], lib };
}

function run(cmd, args) {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', rej);
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited with ${code}`))));
  });
}

const torch = findTorch();
const napiInclude = dirname(require.resolve('node-addon-api/package.json'));
const napiHeaders = join(dirname(require.resolve('node-api-headers/package.json')), 'include');
const cxx = process.env.CXX || 'g++';
const abi = process.env.LOOM_CXX11_ABI ?? '1';
const cuda = process.env.LOOM_CUDA ? process.env.LOOM_CUDA === '1' : existsSync(join(torch.lib, 'libtorch_cuda.so'));

const cflags = [
  '-O2', '-std=c++17', '-fPIC', '-fvisibility=hidden', `-D_GLIBCXX_USE_CXX11_ABI=${abi}`,
  '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED',
  '-Wno-deprecated-declarations', '-Wno-unused-parameter',
  `-I${napiInclude}`, `-I${napiHeaders}`, ...torch.includes.map((d) => `-I${d}`),
];
const libs = ['-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10'];
if (cuda) libs.push('-ltorch_cuda', '-lc10_cuda');
libs.push('-Wl,--as-needed');
// Anything that changes the result (compiler, compile flags, libtorch, link flags) is in the key:
// when it changes, everything is rebuilt and relinked.
const flagsKey = JSON.stringify([cxx, cflags, torch.lib, libs]);

mkdirSync(objDir, { recursive: true });
const sources = readdirSync(srcDir).filter((f) => f.endsWith('.cc'));
const headers = readdirSync(srcDir).filter((f) => f.endsWith('.h'));
const headerTime = Math.max(0, ...headers.map((h) => statSync(join(srcDir, h)).mtimeMs));

const stamp = join(objDir, 'flags.json');
const { readFileSync, writeFileSync } = await import('node:fs');
const sameFlags = existsSync(stamp) && readFileSync(stamp, 'utf8') === flagsKey;

const jobs = Number(process.env.LOOM_JOBS) || cpus().length;
const queue = sources.map((s) => ({ src: join(srcDir, s), obj: join(objDir, s.replace(/\.cc$/, '.o')) }));
const stale = queue.filter(({ src, obj }) => {
  if (!sameFlags || !existsSync(obj)) return true;
  const t = statSync(obj).mtimeMs;
  return t < statSync(src).mtimeMs || t < headerTime;
});
const t0 = Date.now();
if (stale.length) console.error(`loom: compiling ${stale.length} native source(s) with ${jobs} job(s) (libtorch: ${torch.lib}${cuda ? ', CUDA' : ''})`);
try {
  const work = [...stale];
  await Promise.all(
    Array.from({ length: Math.min(jobs, work.length) }, async () => {
      for (let item = work.shift(); item; item = work.shift()) {
        await run(cxx, [...cflags, '-c', item.src, '-o', item.obj]);
      }
    }),
  );
  writeFileSync(stamp, flagsKey);
  const objs = queue.map((q) => q.obj);
  const outTime = existsSync(out) ? statSync(out).mtimeMs : 0;
  if (stale.length || objs.some((o) => statSync(o).mtimeMs > outTime)) {
    await run(cxx, ['-shared', '-o', out, ...objs, `-L${torch.lib}`, `-Wl,-rpath,${torch.lib}`, ...libs]);
    console.error(`loom: built ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
} catch (e) {
  fail(`${e.message}. Check that g++ and libtorch's headers are installed.`);
}
