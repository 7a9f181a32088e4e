//! Questions asked of a trajectory: a column's value, threshold crossings, maxima and
//! integrals, all on the dense interpolant.

use crate::model::{MAX_STATES, ModelSpec};
use crate::simulate::Simulation;
use crate::solve::Piece;

/// Most columns a model may have (states + observables).
pub const MAX_COLUMNS: usize = 2 * MAX_STATES + 16;

/// Crossing direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From at-or-above the level to below it.
    Down,
    /// From below the level to at-or-above it.
    Up,
}

/// Every column (states, then observables) at every node of a simulation, computed once and
/// shared by all the [`Column`]s that read it.
pub struct NodeTable<'a> {
    sim: &'a Simulation,
    n_columns: usize,
    values: Vec<f64>,
}

impl<'a> NodeTable<'a> {
    /// Evaluates every column of `spec` (the simulated model's) at each node.
    pub fn new(sim: &'a Simulation, spec: &ModelSpec) -> Self {
        debug_assert_eq!(
            spec.states.len(),
            sim.trajectory.layout().n,
            "the simulated model"
        );
        let n_columns = spec.states.len() + spec.observables.len();
        let mut buf = [0.0; MAX_COLUMNS];
        let n_nodes = sim.trajectory.nodes().len();
        let mut values = Vec::with_capacity(n_nodes * n_columns);
        for k in 0..n_nodes {
            sim.columns_at_node(k, &mut buf);
            values.extend_from_slice(&buf[..n_columns]);
        }
        NodeTable {
            sim,
            n_columns,
            values,
        }
    }

    /// The largest value of column `index` at the nodes, with its time (`None` without
    /// nodes). The interpolant may peak slightly higher between nodes; for a plausibility
    /// check against a ceiling orders of magnitude above normal, the nodes suffice.
    pub fn node_maximum(&self, index: usize) -> Option<(f64, f64)> {
        let nodes = self.sim.trajectory.nodes();
        self.values
            .chunks_exact(self.n_columns)
            .zip(nodes)
            .map(|(row, node)| (node.t, row[index]))
            .filter(|(_, v)| !v.is_nan())
            .reduce(|best, c| if c.1 > best.1 { c } else { best })
    }

    /// Column `index` (states first, then observables).
    pub fn column(&self, index: usize) -> Column<'_> {
        let n = self.sim.trajectory.layout().n;
        let all = if n >= 32 { u32::MAX } else { (1 << n) - 1 };
        let states = if index < n {
            1 << index
        } else {
            self.sim.dynamics.observable_inputs(index - n) & all
        };
        Column {
            table: self,
            index,
            states,
        }
    }
}

/// Reads one column (state or observable) of a simulation.
///
/// Between nodes it interpolates only the states the column reads (`states`): one column's
/// quadrature or root finding needs one or two polynomials, not the model's dozen.
pub struct Column<'a> {
    table: &'a NodeTable<'a>,
    index: usize,
    states: u32,
}

/// Tolerance of crossing times [day].
pub const TIME_TOLERANCE: f64 = 1e-9;

impl Column<'_> {
    fn node(&self, k: usize) -> f64 {
        self.table.values[k * self.table.n_columns + self.index]
    }

    /// Value at time `t` (NaN outside the simulated span).
    pub fn at(&self, t: f64) -> f64 {
        let trajectory = &self.table.sim.trajectory;
        let Some(k) = trajectory.interval(t) else {
            return f64::NAN;
        };
        let nodes = trajectory.nodes();
        let (a, b) = (&nodes[k], &nodes[k + 1]);
        if b.t <= a.t || t >= b.t {
            // zero-width interval (a jump) or exactly at the right end
            return self.node(if t >= b.t { k + 1 } else { k });
        }
        let mut piece = Piece::EMPTY;
        if self.fill_piece(k, &mut piece) {
            self.in_piece(&piece, t)
        } else {
            f64::NAN
        }
    }

    /// Value at `t` inside interval `piece` (built by [`Column::piece`]).
    #[inline]
    fn in_piece(&self, piece: &Piece, t: f64) -> f64 {
        let sim = self.table.sim;
        let layout = sim.trajectory.layout();
        let n = layout.n;
        if self.index < n {
            return layout.natural(self.index, piece.coordinate(self.index, t), piece.alive());
        }
        let mut x = [0.0; MAX_STATES];
        let mut states = self.states;
        while states != 0 {
            let i = states.trailing_zeros() as usize;
            states &= states - 1;
            x[i] = layout.natural(i, piece.coordinate(i, t), piece.alive());
        }
        sim.dynamics.observe_one(self.index - n, &x[..n])
    }

    /// Interval `k`'s interpolant of the states this column reads, into `piece`.
    fn fill_piece(&self, k: usize, piece: &mut Piece) -> bool {
        self.table.sim.trajectory.fill_piece(k, self.states, piece)
    }

    fn nodes(&self) -> &[crate::solve::Node] {
        self.table.sim.trajectory.nodes()
    }

    /// Value at the last node.
    pub fn last(&self) -> f64 {
        let n = self.nodes().len();
        if n == 0 { f64::NAN } else { self.node(n - 1) }
    }

    /// First time at or after `from` when the column crosses `level` in `direction`,
    /// located by bisection on the interpolant to [`TIME_TOLERANCE`]. A value already on the
    /// far side at `from` counts as a crossing at `from`.
    pub fn first_crossing(&self, level: f64, direction: Direction, from: f64) -> Option<f64> {
        let beyond = |v: f64| match direction {
            Direction::Down => v < level,
            Direction::Up => v >= level,
        };
        let start = self.at(from);
        if start.is_finite() && beyond(start) {
            return Some(from);
        }
        let nodes = self.nodes();
        for k in 0..nodes.len().saturating_sub(1) {
            let (ta, tb) = (nodes[k].t, nodes[k + 1].t);
            if tb < from {
                continue;
            }
            if tb <= ta {
                // a jump: crossing at the jump time if the value jumps across
                if tb >= from && beyond(self.node(k + 1)) && !beyond(self.node(k)) {
                    return Some(tb);
                }
                continue;
            }
            if !beyond(self.node(k + 1)) {
                continue;
            }
            let far = |g: f64| beyond(g + level);
            let mut piece = Piece::EMPTY;
            if !self.fill_piece(k, &mut piece) {
                return None;
            }
            return Some(illinois(
                ta.max(from),
                tb,
                |t| self.in_piece(&piece, t) - level,
                far,
            ));
        }
        None
    }

    /// Time and value of the maximum over `[from, to]`, refined by golden-section search on
    /// the interpolant around the largest node.
    pub fn maximum(&self, from: f64, to: f64) -> Option<(f64, f64)> {
        let nodes = self.nodes();
        let best = (0..nodes.len())
            .filter(|&k| nodes[k].t >= from && nodes[k].t <= to)
            .max_by(|&a, &b| self.node(a).total_cmp(&self.node(b)))?;
        let mut result = (nodes[best].t, self.node(best));
        let mut piece = Piece::EMPTY;
        for (a, b) in [
            (best.saturating_sub(1), best),
            (best, (best + 1).min(nodes.len() - 1)),
        ] {
            let (lo, hi) = (nodes[a].t.max(from), nodes[b].t.min(to));
            if hi - lo <= TIME_TOLERANCE {
                continue;
            }
            if !self.fill_piece(a, &mut piece) {
                continue;
            }
            let t = golden_max(lo, hi, |t| self.in_piece(&piece, t));
            let v = self.in_piece(&piece, t);
            if v > result.1 {
                result = (t, v);
            }
        }
        Some(result)
    }

    /// Integral over `[from, to]` [column unit × day], by Gauss–Legendre on each step: 3 points
    /// where the step is short against the rates of the states the column reads, 5 elsewhere.
    ///
    /// For a log state the integrand is `exp(p)`, `p` the step's interpolant. The 3-point rule's
    /// relative error on `exp(r·t)` over a step of width `h` is ≈ `(r·h)⁶ / 2·10⁶`, so with
    /// `|r·h| ≤` [`GL3_MAX_LOG_CHANGE`] (0.2, from the derivatives at both nodes) it is below
    /// 1e-10, far below the interpolant's own error (≈ rtol). Wider steps, which the error
    /// control allows wherever `ln x` is nearly linear (Stein's growth phase: `r·h` ≈ 3), take 5
    /// points (error 7e-7 at `r·h` = 4.5), as do columns reading a linear state (a degree-7
    /// polynomial, integrated exactly). The bound is argued for a state or a sum of states (the
    /// CAR-T AUC, E + M, the only one `Outcomes` takes); a nonlinear observable of log states
    /// (a ratio) varies no faster than its inputs over such a step, but is not covered by it.
    /// Test: `auc_quadrature_matches_a_fine_rule_on_the_interpolant`.
    pub fn integral(&self, from: f64, to: f64) -> f64 {
        const X5: [f64; 5] = [
            0.0,
            -0.538_469_310_105_683_1,
            0.538_469_310_105_683_1,
            -0.906_179_845_938_664,
            0.906_179_845_938_664,
        ];
        const W5: [f64; 5] = [
            0.568_888_888_888_888_9,
            0.478_628_670_499_366_5,
            0.478_628_670_499_366_5,
            0.236_926_885_056_189_1,
            0.236_926_885_056_189_1,
        ];
        const X3: [f64; 3] = [0.0, -0.774_596_669_241_483_4, 0.774_596_669_241_483_4];
        const W3: [f64; 3] = [8.0 / 9.0, 5.0 / 9.0, 5.0 / 9.0];
        let layout = self.table.sim.trajectory.layout();
        let reads_linear = (0..layout.n).any(|i| self.states & (1 << i) != 0 && !layout.log[i]);
        let nodes = self.nodes();
        let mut total = 0.0;
        let mut piece = Piece::EMPTY;
        for k in 0..nodes.len().saturating_sub(1) {
            let (a, b) = (nodes[k].t.max(from), nodes[k + 1].t.min(to));
            if b <= a || !self.fill_piece(k, &mut piece) {
                continue;
            }
            let width = nodes[k + 1].t - nodes[k].t;
            let mut states = self.states;
            let mut log_change: f64 = 0.0;
            while states != 0 {
                let i = states.trailing_zeros() as usize;
                states &= states - 1;
                log_change = log_change.max(nodes[k].dz[i].abs().max(nodes[k + 1].dz[i].abs()));
            }
            let short = !reads_linear && log_change * width <= GL3_MAX_LOG_CHANGE;
            let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
            let f = |x: f64, w: f64| w * self.in_piece(&piece, mid + half * x);
            total += half
                * if short {
                    X3.iter().zip(W3).map(|(&x, w)| f(x, w)).sum::<f64>()
                } else {
                    X5.iter().zip(W5).map(|(&x, w)| f(x, w)).sum::<f64>()
                };
        }
        total
    }
}

/// Largest `|d ln x/dt| × step width` at which [`Column::integral`] uses 3 points, not 5.
pub const GL3_MAX_LOG_CHANGE: f64 = 0.2;

/// Root of `g` on `[a, b]` with `far(g(a))` false and `far(g(b))` true, to [`TIME_TOLERANCE`]:
/// the Illinois variant of regula falsi (superlinear), with a bisection step whenever the
/// bracket fails to halve, so it never takes more iterations than bisection would (×2).
fn illinois(mut a: f64, mut b: f64, g: impl Fn(f64) -> f64, far: impl Fn(f64) -> bool) -> f64 {
    let (mut ga, mut gb) = (g(a), g(b));
    let mut side = 0i8;
    let mut width = b - a;
    while b - a > TIME_TOLERANCE {
        let secant = b - gb * (b - a) / (gb - ga);
        let m = if secant > a && secant < b && (b - a) <= 0.5 * width {
            secant
        } else {
            0.5 * (a + b)
        };
        width = b - a;
        let gm = g(m);
        if far(gm) {
            b = m;
            gb = gm;
            if side == 1 {
                ga *= 0.5;
            }
            side = 1;
        } else {
            a = m;
            ga = gm;
            if side == -1 {
                gb *= 0.5;
            }
            side = -1;
        }
    }
    b
}

/// Golden-section search for the maximum of a unimodal `f` on `[a, b]`.
fn golden_max(mut a: f64, mut b: f64, f: impl Fn(f64) -> f64) -> f64 {
    const R: f64 = 0.618_033_988_749_894_9;
    let mut c = b - R * (b - a);
    let mut d = a + R * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    while b - a > TIME_TOLERANCE {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - R * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + R * (b - a);
            fd = f(d);
        }
    }
    0.5 * (a + b)
}

/// The simulation's columns sampled at `times` (rows), states then observables.
pub fn sample(sim: &Simulation, times: &[f64], n_columns: usize) -> Vec<Vec<f64>> {
    let mut buf = [0.0; MAX_COLUMNS];
    times
        .iter()
        .map(|&t| {
            if sim.columns_at(t, &mut buf) {
                buf[..n_columns].to_vec()
            } else {
                vec![f64::NAN; n_columns]
            }
        })
        .collect()
}
