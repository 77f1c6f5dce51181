//! The Freivalds chip on its own (MockProver): honest products accepted, every single wrong
//! entry of `C` rejected over many random instances, every assigned cell's mutation rejected,
//! and forgeries built to pass a check against a fixed vector rejected (the check is evaluated
//! at the transcript's challenge, which the forger does not know).
use halo2_proofs::{
    circuit::{Layouter, SimpleFloorPlanner, Value},
    dev::MockProver,
    halo2curves::{bn256::Fr, ff::Field},
    plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Fixed},
};

use crate::chips::ctx::{ACell, Ctx};
use crate::chips::freivalds::{Factor, FreivaldsChip, FreivaldsConfig, Product};
use crate::field::to_field;
use crate::testing::SplitMix;

const W: usize = 3;
const K: u32 = 7;

/// `B` of the test product.
#[derive(Clone, Debug)]
enum B {
    Fixed(Vec<Vec<i64>>),
    Witness(Vec<Vec<Fr>>),
}

/// A circuit holding `A`, `C` (and a witness `B`) as plain advice cells, checked by the chip.
#[derive(Clone, Debug)]
struct ProductCircuit {
    a: Vec<Vec<Fr>>,
    b: B,
    c: Vec<Vec<Fr>>,
    /// `(advice cell index, delta)` added to the written value.
    mutations: Vec<(usize, Fr)>,
}

#[derive(Clone, Debug)]
struct TestConfig {
    x: Vec<Column<Advice>>,
    fr: FreivaldsConfig,
}

impl Circuit<Fr> for ProductCircuit {
    type Config = TestConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> TestConfig {
        let x: Vec<Column<Advice>> = (0..W).map(|_| meta.advice_column()).collect();
        for &c in &x {
            meta.enable_equality(c);
        }
        let f: Vec<Column<Fixed>> = (0..W).map(|_| meta.fixed_column()).collect();
        let cont = meta.fixed_column();
        let fr = FreivaldsConfig::configure(meta, x.clone(), f, cont);
        TestConfig { x, fr }
    }

    fn synthesize(&self, cfg: TestConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_region(
            || "product",
            |mut region| {
                let mut ctx = Ctx::new(&mut region, self.mutations.clone());
                let put = |ctx: &mut Ctx<'_, '_, Fr>, v: &[Vec<Fr>]| -> Vec<Vec<ACell<Fr>>> {
                    v.iter()
                        .map(|row| {
                            row.iter()
                                .enumerate()
                                .map(|(i, &e)| {
                                    let r = ctx.row;
                                    let c = ctx.assign_advice(cfg.x[i % W], r, Value::known(e));
                                    if i % W == W - 1 || i + 1 == row.len() {
                                        ctx.alloc(1);
                                    }
                                    c
                                })
                                .collect()
                        })
                        .collect()
                };
                let a = put(&mut ctx, &self.a);
                let c = put(&mut ctx, &self.c);
                let bw = match &self.b {
                    B::Witness(v) => put(&mut ctx, v),
                    B::Fixed(_) => Vec::new(),
                };
                let factor = match &self.b {
                    B::Fixed(v) => Factor::Fixed(columns(v.len(), v[0].len(), |i, j| v[i][j])),
                    B::Witness(v) => Factor::Witness(columns(v.len(), v[0].len(), |i, j| &bw[i][j])),
                };
                let prod = Product {
                    a: a.iter().map(|r| r.iter().collect()).collect(),
                    b: factor,
                    c: c.iter().map(|r| r.iter().collect()).collect(),
                };
                let chip = FreivaldsChip::new(cfg.fr.clone());
                let pending = chip.begin(&mut ctx, &prod)?;
                ctx.next_phase();
                let r = ctx.challenge(cfg.fr.r);
                pending.finish(&mut ctx, &cfg.fr, r)
            },
        )
    }
}

/// `B` by columns: for output `j`, the terms `(i, entry(i, j))`.
fn columns<T>(n: usize, p: usize, entry: impl Fn(usize, usize) -> T) -> Vec<Vec<(usize, T)>> {
    (0..p).map(|j| (0..n).map(|i| (i, entry(i, j))).collect()).collect()
}

fn accepted(c: &ProductCircuit) -> bool {
    MockProver::run(K, c, vec![]).unwrap().verify().is_ok()
}

fn small(rng: &mut SplitMix) -> i64 {
    rng.below(33) as i64 - 16
}

/// A random product `m × n` by `n × p` with an honest `C` (fixed or witness `B`).
fn instance(rng: &mut SplitMix, m: usize, n: usize, p: usize, witness_b: bool) -> ProductCircuit {
    let a: Vec<Vec<i64>> = (0..m).map(|_| (0..n).map(|_| small(rng)).collect()).collect();
    let b: Vec<Vec<i64>> = (0..n).map(|_| (0..p).map(|_| small(rng)).collect()).collect();
    let c: Vec<Vec<Fr>> = (0..m)
        .map(|r| (0..p).map(|j| to_field((0..n).map(|i| a[r][i] * b[i][j]).sum())).collect())
        .collect();
    let f = |v: &Vec<Vec<i64>>| v.iter().map(|r| r.iter().map(|&x| to_field(x)).collect()).collect();
    ProductCircuit {
        a: f(&a),
        b: match witness_b {
            true => B::Witness(f(&b)),
            false => B::Fixed(b),
        },
        c,
        mutations: Vec::new(),
    }
}

/// Advice cells the circuit assigns (a dry count).
fn cell_count(c: &ProductCircuit) -> usize {
    let (m, n, p) = (c.a.len(), c.a[0].len(), c.c[0].len());
    let bw = match &c.b {
        B::Witness(_) => n * p,
        B::Fixed(_) => 0,
    };
    let terms = match &c.b {
        B::Witness(_) => vec![n; p],
        B::Fixed(v) => (0..p).map(|j| (0..n).filter(|&i| v[i][j] != 0).count()).collect(),
    };
    let rows: usize = terms.iter().map(|&t| t.div_ceil(W).max(1)).sum();
    // data (A, C, B) + Horner copies and sums + B copies + dot copies + accumulators
    m * n + m * p + bw + 2 * m * (n + p) + bw + terms.iter().sum::<usize>() + rows
}

#[test]
fn honest_products_accepted() {
    let mut rng = SplitMix(1);
    for (m, n, p) in [(1, 1, 1), (1, 4, 3), (2, 3, 2), (4, 5, 3), (7, 2, 4), (3, 7, 1)] {
        for wb in [false, true] {
            assert!(accepted(&instance(&mut rng, m, n, p, wb)), "{m}x{n}x{p} witness B {wb}");
        }
    }
}

#[test]
fn every_wrong_entry_of_c_rejected() {
    let mut rng = SplitMix(2);
    let mut tried = 0;
    for trial in 0..24 {
        let (m, n, p) = (1 + trial % 4, 1 + rng.below(4), 1 + rng.below(3));
        let honest = instance(&mut rng, m, n, p, trial % 3 == 0);
        for b in 0..m {
            for j in 0..p {
                let mut bad = honest.clone();
                let delta = match rng.below(3) {
                    0 => Fr::ONE,
                    1 => -Fr::ONE,
                    _ => Fr::from(rng.next_u64()),
                };
                bad.c[b][j] += delta;
                assert!(!accepted(&bad), "{m}x{n}x{p}: C[{b}][{j}] + {delta:?} accepted");
                tried += 1;
            }
        }
    }
    println!("wrong entries of C rejected: {tried}");
}

#[test]
fn every_cell_mutation_rejected() {
    let mut rng = SplitMix(3);
    for wb in [false, true] {
        let honest = instance(&mut rng, 3, 4, 2, wb);
        let n = cell_count(&honest);
        for cell in 0..n {
            let mut bad = honest.clone();
            bad.mutations = vec![(cell, Fr::from(rng.next_u64().max(1)))];
            assert!(!accepted(&bad), "mutation of cell {cell} of {n} accepted (witness B {wb})");
        }
        // One past the last cell changes nothing: the count above is exact.
        let mut past = honest.clone();
        past.mutations = vec![(n, Fr::ONE)];
        assert!(accepted(&past), "cell count {n} too small");
    }
}

/// For many fixed vectors `v` (all ones, powers of a random point, random vectors), a wrong
/// `C` with `vᵀ(C − A·B) = 0` passes the fixed-vector check (checked natively here) and is
/// rejected by the circuit.
#[test]
fn forgery_against_any_fixed_vector_rejected() {
    let mut rng = SplitMix(4);
    let mut tried = 0;
    for trial in 0..30 {
        let m = 2 + trial % 4;
        let (n, p) = (1 + rng.below(3), 1 + rng.below(3));
        let honest = instance(&mut rng, m, n, p, trial % 2 == 1);
        let v: Vec<Fr> = match trial % 3 {
            0 => vec![Fr::ONE; m],
            1 => {
                let r0 = Fr::from(rng.next_u64());
                (0..m).scan(Fr::ONE, |s, _| {
                    let out = *s;
                    *s *= r0;
                    Some(out)
                })
                .collect()
            }
            _ => (0..m).map(|_| Fr::from(rng.next_u64().max(1))).collect(),
        };
        // E: column j gets e at sample 0 and -e·v_0/v_1 at sample 1, so vᵀE = 0.
        let j = rng.below(p);
        let e = Fr::from(rng.next_u64().max(1));
        let Some(inv) = Option::<Fr>::from(v[1].invert()) else { continue };
        let mut forged = honest.clone();
        forged.c[0][j] += e;
        forged.c[1][j] -= e * v[0] * inv;
        // The fixed-vector check passes.
        for jj in 0..p {
            let lhs: Fr = (0..m).map(|b| v[b] * forged.c[b][jj]).sum();
            let rhs: Fr = (0..m).map(|b| v[b] * honest.c[b][jj]).sum();
            assert_eq!(lhs, rhs);
        }
        assert!(!accepted(&forged), "forgery against fixed vector {trial} accepted");
        tried += 1;
    }
    assert!(tried >= 25);
    println!("fixed-vector forgeries rejected: {tried}");
}

/// A fixed left factor `C = W·X` is checked as `Cᵀ = Xᵀ·Wᵀ` (witness `A`, fixed `B`).
#[test]
fn fixed_left_factor_by_transpose() {
    let mut rng = SplitMix(5);
    let (rows_w, k, cols_x) = (3, 4, 2);
    let wt: Vec<Vec<i64>> = (0..rows_w).map(|_| (0..k).map(|_| small(&mut rng)).collect()).collect();
    let x: Vec<Vec<i64>> = (0..k).map(|_| (0..cols_x).map(|_| small(&mut rng)).collect()).collect();
    // Cᵀ[c][r] = sum_i X[i][c] W[r][i]
    let ct: Vec<Vec<Fr>> = (0..cols_x)
        .map(|c| (0..rows_w).map(|r| to_field((0..k).map(|i| x[i][c] * wt[r][i]).sum())).collect())
        .collect();
    let honest = ProductCircuit {
        a: (0..cols_x).map(|c| (0..k).map(|i| to_field(x[i][c])).collect()).collect(),
        b: B::Fixed((0..k).map(|i| (0..rows_w).map(|r| wt[r][i]).collect()).collect()),
        c: ct,
        mutations: Vec::new(),
    };
    assert!(accepted(&honest));
    let mut bad = honest.clone();
    bad.c[1][2] += Fr::ONE;
    assert!(!accepted(&bad));
}
