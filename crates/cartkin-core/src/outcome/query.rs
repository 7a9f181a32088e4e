//! Questions asked of a trajectory: a column's value, threshold crossings, maxima and
//! integrals, all on the dense interpolant.

use crate::model::MAX_STATES;
use crate::simulate::Simulation;

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

/// Reads one column (state or observable) of a simulation.
pub struct Column<'a> {
    sim: &'a Simulation,
    index: usize,
    /// Column values at each node.
    at_nodes: Vec<f64>,
}

/// Tolerance of crossing times [day].
pub const TIME_TOLERANCE: f64 = 1e-9;

impl<'a> Column<'a> {
    /// Column `index` (states first, then observables).
    pub fn new(sim: &'a Simulation, index: usize) -> Self {
        let mut buf = [0.0; MAX_COLUMNS];
        let at_nodes = (0..sim.trajectory.nodes().len())
            .map(|k| {
                sim.columns_at_node(k, &mut buf);
                buf[index]
            })
            .collect();
        Column {
            sim,
            index,
            at_nodes,
        }
    }

    /// Value at time `t` (NaN outside the simulated span).
    pub fn at(&self, t: f64) -> f64 {
        let mut buf = [0.0; MAX_COLUMNS];
        if self.sim.columns_at(t, &mut buf) {
            buf[self.index]
        } else {
            f64::NAN
        }
    }

    fn nodes(&self) -> &[crate::solve::Node] {
        self.sim.trajectory.nodes()
    }

    /// Value at the last node.
    pub fn last(&self) -> f64 {
        self.at_nodes.last().copied().unwrap_or(f64::NAN)
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
                if tb >= from && beyond(self.at_nodes[k + 1]) && !beyond(self.at_nodes[k]) {
                    return Some(tb);
                }
                continue;
            }
            if !beyond(self.at_nodes[k + 1]) {
                continue;
            }
            let (mut a, mut b) = (ta.max(from), tb);
            while b - a > TIME_TOLERANCE {
                let m = 0.5 * (a + b);
                if beyond(self.at(m)) { b = m } else { a = m }
            }
            return Some(b);
        }
        None
    }

    /// Time and value of the maximum over `[from, to]`, refined by golden-section search on
    /// the interpolant around the largest node.
    pub fn maximum(&self, from: f64, to: f64) -> Option<(f64, f64)> {
        let nodes = self.nodes();
        let best = (0..nodes.len())
            .filter(|&k| nodes[k].t >= from && nodes[k].t <= to)
            .max_by(|&a, &b| self.at_nodes[a].total_cmp(&self.at_nodes[b]))?;
        let mut result = (nodes[best].t, self.at_nodes[best]);
        for (a, b) in [
            (best.saturating_sub(1), best),
            (best, (best + 1).min(nodes.len() - 1)),
        ] {
            let (lo, hi) = (nodes[a].t.max(from), nodes[b].t.min(to));
            if hi - lo <= TIME_TOLERANCE {
                continue;
            }
            let t = golden_max(lo, hi, |t| self.at(t));
            let v = self.at(t);
            if v > result.1 {
                result = (t, v);
            }
        }
        Some(result)
    }

    /// Integral over `[from, to]` [column unit × day], by 5-point Gauss–Legendre on each step.
    pub fn integral(&self, from: f64, to: f64) -> f64 {
        const X: [f64; 5] = [
            0.0,
            -0.538_469_310_105_683_1,
            0.538_469_310_105_683_1,
            -0.906_179_845_938_664,
            0.906_179_845_938_664,
        ];
        const W: [f64; 5] = [
            0.568_888_888_888_888_9,
            0.478_628_670_499_366_5,
            0.478_628_670_499_366_5,
            0.236_926_885_056_189_1,
            0.236_926_885_056_189_1,
        ];
        let nodes = self.nodes();
        let mut total = 0.0;
        for k in 0..nodes.len().saturating_sub(1) {
            let (a, b) = (nodes[k].t.max(from), nodes[k + 1].t.min(to));
            if b <= a {
                continue;
            }
            let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
            // evaluate inside the interval so that a jump at `b` is not seen
            total += half
                * X.iter()
                    .zip(W)
                    .map(|(x, w)| w * self.at(mid + half * x))
                    .sum::<f64>();
        }
        total
    }
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
