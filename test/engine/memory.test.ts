// Tensor lifetime: tidy scopes, keep, dispose, the live-tensor count, byte accounting and the
// finalizer safety net. Run with --expose-gc (scripts/run-tests.mjs does).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  F,
  type Tensor,
  dispose,
  keep,
  manualSeed,
  memory,
  noGrad,
  ones,
  randn,
  tensor,
  tidy,
  zeros,
} from '../../src/engine/index.js';

const live = (): number => memory().liveTensors;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const gc = (globalThis as { gc?: () => void }).gc;

/** Runs gc and lets FinalizationRegistry callbacks (which run asynchronously) fire, until `done` or a limit. */
async function collectUntil(done: () => boolean, rounds = 40): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    gc?.();
    await tick();
    await new Promise((r) => setTimeout(r, 1));
    if (done()) return true;
  }
  return done();
}

describe('tidy', () => {
  test('frees every tensor made inside except those returned', () => {
    const base = live();
    const out = tidy(() => {
      const a = ones([3]);
      const b = a.mul(2);
      const c = b.add(1).exp();
      assert.equal(live(), base + 4); // a, b, the add, c
      void c;
      return b;
    });
    assert.equal(live(), base + 1);
    assert.deepEqual(out.toArray(), [2, 2, 2]);
    out.dispose();
    assert.equal(live(), base);
  });

  test('finds returned tensors in nested arrays, plain objects and Maps', () => {
    const base = live();
    const res = tidy(() => {
      const t = (v: number): Tensor => ones([1]).mul(v);
      zeros([5]); // dropped
      return {
        a: t(1),
        list: [t(2), [t(3), { deep: t(4) }]],
        map: new Map([['m', t(5)]]),
        n: 7,
        s: 'x',
        none: null,
      };
    });
    assert.equal(live(), base + 5);
    const inner = res.list[1] as [Tensor, { deep: Tensor }];
    assert.deepEqual(
      [res.a.item(), (res.list[0] as Tensor).item(), inner[0].item(), inner[1].deep.item(), res.map.get('m')!.item()],
      [1, 2, 3, 4, 5],
    );
    dispose(res);
    assert.equal(live(), base);
  });

  test('a value returned twice or a cyclic object is handled', () => {
    const base = live();
    const res = tidy(() => {
      const t = ones([2]);
      const o: Record<string, unknown> = { t, again: t };
      o.self = o;
      return [o, t];
    });
    assert.equal(live(), base + 1);
    dispose(res);
    assert.equal(live(), base);
  });

  test('nested tidy moves returned tensors to the parent scope', () => {
    const base = live();
    let fromInner: Tensor | undefined;
    const outer = tidy(() => {
      const x = ones([2]);
      fromInner = tidy(() => {
        const tmp = x.add(1);
        return tmp.mul(3);
      });
      // the inner result is alive while the outer scope runs...
      assert.equal(fromInner.isDisposed, false);
      assert.deepEqual(fromInner.toArray(), [6, 6]);
      assert.equal(live(), base + 2); // x and the inner result
      return x.add(fromInner);
    });
    // ...and freed with the outer scope, which did not return it
    assert.equal(fromInner?.isDisposed, true);
    assert.equal(live(), base + 1);
    assert.deepEqual(outer.toArray(), [7, 7]);
    outer.dispose();
    assert.equal(live(), base);
  });

  test('returning a tensor created outside the scope leaves it alone', () => {
    const base = live();
    const x = ones([2]);
    const same = tidy(() => {
      x.mul(2);
      return x;
    });
    assert.equal(same, x);
    assert.equal(x.isDisposed, false);
    assert.equal(live(), base + 1);
    x.dispose();
  });

  test('keep() survives its scope and the scopes around it', () => {
    const base = live();
    let kept: Tensor | undefined;
    tidy(() => {
      tidy(() => {
        kept = keep(ones([2]).mul(5));
        ones([3]);
      });
      assert.equal(kept?.isDisposed, false);
    });
    assert.equal(kept?.isDisposed, false);
    assert.deepEqual(kept?.toArray(), [5, 5]);
    assert.equal(live(), base + 1);
    kept?.dispose();
    assert.equal(live(), base);
  });

  test('a tensor disposed inside the scope is not freed twice', () => {
    const base = live();
    tidy(() => {
      const a = ones([2]);
      a.dispose();
      a.dispose();
      ones([2]); // reuses the slot
    });
    assert.equal(live(), base);
  });

  test('a throwing function frees everything and rethrows', () => {
    const base = live();
    assert.throws(
      () =>
        tidy(() => {
          ones([2]);
          ones([3]).matmul(ones([4]));
        }),
      /inconsistent|size/,
    );
    assert.equal(live(), base);
    // scopes are balanced again: a tensor made now is not owned by a dead scope
    const t = tidy(() => ones([1]));
    assert.equal(t.isDisposed, false);
    t.dispose();
  });

  test('async tidy frees at settlement, keeping the resolved tensors', async () => {
    const base = live();
    let before: Tensor | undefined;
    const out = await tidy(async () => {
      before = ones([2]);
      await tick();
      const after = before.add(1);
      await new Promise((r) => setTimeout(r, 2));
      ones([5]);
      return { after };
    });
    assert.equal(before?.isDisposed, true);
    assert.deepEqual(out.after.toArray(), [2, 2]);
    assert.equal(live(), base + 1);
    out.after.dispose();
    // a rejected async scope frees everything too
    await assert.rejects(
      tidy(async () => {
        ones([2]);
        await tick();
        throw new Error('late failure');
      }),
      /late failure/,
    );
    assert.equal(live(), base);
  });

  test('an async tidy owns only its own tensors, not those made elsewhere while it awaits', async () => {
    const base = live();
    const pending = tidy(async () => {
      ones([1]);
      await tick();
      await tick();
      return null;
    });
    const outside = ones([2]); // made while the async scope is pending
    const inSync = tidy(() => ones([3]).mul(2)); // a sync scope that runs meanwhile
    await pending;
    assert.equal(outside.isDisposed, false);
    assert.deepEqual(outside.toArray(), [1, 1]);
    assert.deepEqual(inSync.toArray(), [2, 2, 2]);
    dispose([outside, inSync]);
    assert.equal(live(), base);
  });

  test('concurrent async tidies keep their own results and free their own temporaries', async () => {
    const base = live();
    const work = (v: number, waits: number) =>
      tidy(async () => {
        const x = ones([2]).mul(v);
        for (let i = 0; i < waits; i++) await tick();
        const y = x.add(1);
        await tick();
        x.mul(100); // a temporary made late
        return y;
      });
    const results = await Promise.all([work(1, 1), work(2, 3), work(3, 0)]);
    assert.deepEqual(results.map((r) => r.toArray()), [[2, 2], [3, 3], [4, 4]]);
    assert.equal(live(), base + 3);
    dispose(results);
    assert.equal(live(), base);
  });

  test('async results outliving the scope they were started in are not lost', async () => {
    const base = live();
    let pending: Promise<Tensor> | undefined;
    tidy(() => {
      pending = tidy(async () => {
        await tick();
        return ones([1]).mul(4);
      });
    }); // this sync scope ends before the inner one settles
    const r = await pending!;
    assert.equal(r.isDisposed, false);
    assert.equal(r.item(), 4);
    r.dispose();
    assert.equal(live(), base);
  });

  test('dispose() accepts tensors, arrays, Maps and objects; disposing twice is safe', () => {
    const base = live();
    const a = ones([1]);
    const b = ones([1]);
    const c = ones([1]);
    dispose({ x: [a, { y: b }], m: new Map([[1, c]]), other: 3 });
    assert.deepEqual([a.isDisposed, b.isDisposed, c.isDisposed], [true, true, true]);
    dispose([a, b, c]);
    a.dispose();
    dispose(null);
    dispose(undefined);
    assert.equal(live(), base);
  });
});

describe('accounting', () => {
  test('liveBytes counts each storage once', () => {
    const base = memory();
    const a = zeros([1000]); // 4000 bytes
    assert.equal(memory().liveBytes - base.liveBytes, 4000);
    const views = [a.slice(0, 0, 10), a.view(10, 100), a.alias(), a.detach()];
    const one = a.select(0, 0);
    const wide = one.expand(1_000_000);
    assert.equal(memory().liveBytes - base.liveBytes, 4000, 'views share the storage');
    const c = a.clone();
    assert.equal(memory().liveBytes - base.liveBytes, 8000);
    const d = zeros([10], { dtype: 'float64' });
    assert.equal(memory().liveBytes - base.liveBytes, 8080);
    a.dispose();
    assert.equal(memory().liveBytes - base.liveBytes, 8080, 'the views still hold the storage');
    dispose([views, one, wide]);
    assert.equal(memory().liveBytes - base.liveBytes, 4080);
    dispose([c, d]);
    assert.deepEqual(memory(), base);
  });

  test('live count is back to baseline after a 1,000-step training loop in tidy', () => {
    manualSeed(0);
    const base = live();
    const params = tidy(() => {
      const p = [randn([8, 4]).mul(0.5), zeros([8]), randn([3, 8]).mul(0.5), zeros([3])];
      for (const t of p) t.requiresGrad_();
      return p;
    });
    const [w1, b1, w2, b2] = params;
    const x = randn([16, 4]);
    const y = tidy(() => x.select(1, 0).gt(0).long().add(x.select(1, 1).gt(0).long())); // classes 0..2
    const afterSetup = live();
    const losses: number[] = [];
    let midway = -1;
    for (let step = 0; step < 1000; step++) {
      const loss = tidy(() => {
        const h = F.linear(x, w1, b1).relu();
        const logits = F.linear(F.dropout(h, 0.1, true), w2, b2);
        const l = F.crossEntropy(logits, y);
        l.backward();
        noGrad(() => {
          for (const p of params) {
            p.sub_(p.grad!.mul(0.1));
            p.grad = null;
          }
        });
        return l.item();
      });
      losses.push(loss);
      if (step === 499) midway = live();
    }
    assert.equal(midway, afterSetup, 'no growth during the loop');
    assert.equal(live(), afterSetup);
    assert.ok(losses[999] < losses[0] * 0.7, `loss went from ${losses[0]} to ${losses[999]}`);
    dispose([params, x, y]);
    assert.equal(live(), base);
  });
});

describe('finalizer safety net', { skip: gc ? false : 'needs node --expose-gc' }, () => {
  test('tensors dropped without dispose() are freed after garbage collection', async () => {
    await collectUntil(() => false, 3); // settle anything earlier tests dropped
    const base = live();
    (() => {
      for (let i = 0; i < 200; i++) ones([4]).mul(i);
      // returned from a scope, then dropped: the scope hands it to the finalizer
      tidy(() => zeros([3]));
      tidy(() => keep(zeros([3])));
    })();
    assert.ok(live() >= base + 400);
    const freed = await collectUntil(() => live() === base);
    assert.ok(freed, `still ${live() - base} tensors alive after gc`);
  });

  test('a stale finalizer for a disposed tensor never frees a reused slot', async () => {
    const slotOf = (t: Tensor): number => t._id % 2 ** 22;
    let finalized = 0;
    const witness = new FinalizationRegistry<string>(() => {
      finalized++;
    });
    const survivors: Tensor[] = [];
    (() => {
      for (let i = 0; i < 50; i++) {
        const old = ones([2]); // registered with the engine's finalizer
        witness.register(old, 'old');
        const oldSlot = slotOf(old);
        old.dispose();
        const fresh = tensor([i, i]); // takes the freed slot
        assert.equal(slotOf(fresh), oldSlot, 'the slot is reused');
        survivors.push(fresh);
      }
    })();
    const base = live();
    // wait until the dropped handles' finalizers have run
    assert.ok(await collectUntil(() => finalized === 50), `only ${finalized} of 50 finalized`);
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(live(), base);
    survivors.forEach((t, i) => {
      assert.deepEqual(t.toArray(), [i, i]);
    });
    dispose(survivors);
  });

  test('a tensor still referenced is never collected', async () => {
    const held = tensor([2, 2, 2]);
    await collectUntil(() => false, 3); // settle anything earlier tests dropped
    const base = live();
    await collectUntil(() => false, 5);
    assert.equal(live(), base);
    assert.deepEqual(held.toArray(), [2, 2, 2]);
    held.dispose();
  });
});
