//! The dense solution of a simulation: accepted steps with their derivatives, interpolated
//! by Hermite polynomials in solver coordinates.
//!
//! Nodes are sorted by time. At a dose, an infusion switch, a phase switch, a washout or an
//! extinction two nodes share the same time (before and after the jump); the solution is
//! right-continuous there, and a zero-width interval separates smooth pieces.
//!
//! Inside a smooth piece the interval `[t_k, t_k+1]` is interpolated by the Hermite polynomial
//! matching value and derivative at up to four nodes (`k-1 .. k+2`, degree 7, local error
//! O(h⁸)); at the edges of a piece fewer nodes are used (cubic Hermite, O(h⁴), between two
//! jumps). No extra right-hand-side evaluation is needed: the solver already returns the
//! derivative at every accepted step. This keeps the interpolation error below the
//! integration error of both Dopri5 and Dop853 (see `tests/closed_forms.rs`).

use super::layout::{Alive, Layout};
use crate::model::MAX_STATES;

/// One accepted step end: time, solver coordinates, their derivatives and the presence mask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// Time [day].
    pub t: f64,
    /// Solver coordinates.
    pub z: [f64; MAX_STATES],
    /// Their time derivatives.
    pub dz: [f64; MAX_STATES],
    /// Natural values of the states (`exp` of log coordinates, zero for absent states), as
    /// [`Layout::to_natural`] gives them: kept so that outcomes read node values without an
    /// `exp` per state and node.
    pub x: [f64; MAX_STATES],
    /// Presence mask of log states.
    pub alive: Alive,
}

/// The dense solution.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    layout: Layout,
    nodes: Vec<Node>,
}

/// The interpolating polynomials of one interval, in Newton form: built once, evaluated at
/// many times (quadrature, root finding) for the cost of a Horner pass per state.
///
/// A piece may hold only some states (`states`, a bit mask): an outcome query of one column
/// builds and evaluates only the states that column reads.
#[derive(Debug, Clone, Copy)]
pub struct Piece {
    /// Start and end of the interval [day].
    pub t0: f64,
    /// End of the interval [day].
    pub t1: f64,
    x: [f64; 8],
    c: [[f64; 8]; MAX_STATES],
    order: usize,
    alive: Alive,
    /// States whose polynomial is built (the others are zero).
    states: u32,
}

impl Piece {
    /// A piece holding no state, to be filled by [`Trajectory::fill_piece`].
    pub const EMPTY: Piece = Piece {
        t0: 0.0,
        t1: 0.0,
        x: [0.0; 8],
        c: [[0.0; 8]; MAX_STATES],
        order: 1,
        alive: 0,
        states: 0,
    };

    /// Hermite interpolation through value and derivative at `pts` (2 to 4 nodes), in Newton
    /// form with doubled nodes, for the states in the bit mask `states` (below `n_states`).
    /// Built in place: rows of other states are left as they were (and never read), so a
    /// piece reused along a trajectory costs only the states it holds.
    fn build(&mut self, pts: &[&Node], n_states: usize, states: u32) {
        let m = pts.len();
        let order = 2 * m;
        let mut x = [0.0; 8];
        for (j, p) in pts.iter().enumerate() {
            x[2 * j] = p.t;
            x[2 * j + 1] = p.t;
        }
        // reciprocals of the node spacings, shared by every state (divisions are the cost here):
        // with doubled nodes x[j] - x[j-k] is t_b - t_a for nodes a = (j-k)/2, b = j/2, so the
        // 28 entries of a degree-7 piece take the 6 divisions of distinct node pairs
        let mut pair = [[0.0; 4]; 4];
        for b in 1..m {
            for a in 0..b {
                let d = pts[b].t - pts[a].t;
                pair[a][b] = if d > 0.0 { 1.0 / d } else { 0.0 };
            }
        }
        let mut inv = [[0.0; 8]; 8];
        for (k, row) in inv.iter_mut().enumerate().take(order).skip(1) {
            for j in k..order {
                row[j] = pair[(j - k) / 2][j / 2];
            }
        }
        for (i, ci) in self.c.iter_mut().enumerate().take(n_states) {
            if states & (1 << i) == 0 {
                continue;
            }
            for (j, p) in pts.iter().enumerate() {
                ci[2 * j] = p.z[i];
                ci[2 * j + 1] = p.z[i];
            }
            // first divided differences: the derivative at doubled nodes
            for j in (1..order).rev() {
                ci[j] = if j % 2 == 1 {
                    pts[j / 2].dz[i]
                } else {
                    (ci[j] - ci[j - 1]) * inv[1][j]
                };
            }
            for (k, row) in inv.iter().enumerate().take(order).skip(2) {
                for j in (k..order).rev() {
                    ci[j] = (ci[j] - ci[j - 1]) * row[j];
                }
            }
        }
        self.x = x;
        self.order = order;
        self.alive = pts[0].alive;
        self.states = states;
    }

    /// Natural-unit state at `t` (inside `[t0, t1]`); states the piece does not hold are
    /// those of a zero solver coordinate.
    #[inline]
    pub fn state(&self, layout: &Layout, t: f64, x: &mut [f64]) {
        let mut z = [0.0; MAX_STATES];
        for (i, zi) in z.iter_mut().enumerate().take(layout.n) {
            if self.states & (1 << i) != 0 {
                *zi = self.coordinate(i, t);
            }
        }
        layout.to_natural(&z, self.alive, x);
    }

    /// Solver coordinate `i` at `t` (inside `[t0, t1]`; zero if the piece does not hold `i`).
    #[inline]
    pub fn coordinate(&self, i: usize, t: f64) -> f64 {
        let ci = &self.c[i];
        let mut v = ci[self.order - 1];
        for j in (0..self.order - 1).rev() {
            v = v * (t - self.x[j]) + ci[j];
        }
        v
    }

    /// Presence mask of the interval.
    pub fn alive(&self) -> Alive {
        self.alive
    }
}

/// Cubic Hermite interpolation of coordinate `i` between `a` and `b` at `t`.
#[inline]
pub(crate) fn hermite(a: &Node, b: &Node, i: usize, t: f64) -> f64 {
    let h = b.t - a.t;
    let s = (t - a.t) / h;
    let s2 = s * s;
    let s3 = s2 * s;
    (2.0 * s3 - 3.0 * s2 + 1.0) * a.z[i]
        + (s3 - 2.0 * s2 + s) * h * a.dz[i]
        + (-2.0 * s3 + 3.0 * s2) * b.z[i]
        + (s3 - s2) * h * b.dz[i]
}

impl Trajectory {
    /// An empty trajectory for `layout`, reusing `nodes`' allocation.
    pub fn with_buffer(layout: Layout, mut nodes: Vec<Node>) -> Self {
        nodes.clear();
        Trajectory { layout, nodes }
    }

    /// The state layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// All nodes.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub(crate) fn nodes_mut(&mut self) -> &mut Vec<Node> {
        &mut self.nodes
    }

    /// Gives the node buffer back for reuse.
    pub fn into_buffer(self) -> Vec<Node> {
        self.nodes
    }

    /// First and last time.
    pub fn span(&self) -> (f64, f64) {
        match (self.nodes.first(), self.nodes.last()) {
            (Some(a), Some(b)) => (a.t, b.t),
            _ => (0.0, 0.0),
        }
    }

    /// Index `k` of the interval `[nodes[k], nodes[k+1]]` used at time `t`
    /// (the last node at or before `t`, so values are right-continuous at jumps).
    pub(crate) fn interval(&self, t: f64) -> Option<usize> {
        let n = self.nodes.len();
        if n < 2 || !(t >= self.nodes[0].t && t <= self.nodes[n - 1].t) {
            return None;
        }
        let k = self.nodes.partition_point(|node| node.t <= t);
        // k ≥ 1 because nodes[0].t ≤ t; clamp so that t = t_end uses the last real interval
        Some((k - 1).min(n - 2))
    }

    /// Natural-unit state at time `t` (`false` outside the simulated span).
    pub fn state_at(&self, t: f64, x: &mut [f64]) -> bool {
        let Some(k) = self.interval(t) else {
            return false;
        };
        let (a, b) = (&self.nodes[k], &self.nodes[k + 1]);
        if b.t <= a.t || t >= b.t {
            // zero-width interval (a jump) or exactly at the right end
            let node = if t >= b.t { b } else { a };
            x[..self.layout.n].copy_from_slice(&node.x[..self.layout.n]);
            return true;
        }
        self.piece(k, u32::MAX).state(&self.layout, t, x);
        true
    }

    /// Number of intervals (`nodes - 1`); interval `k` joins nodes `k` and `k + 1`.
    pub fn intervals(&self) -> usize {
        self.nodes.len().saturating_sub(1)
    }

    /// The interpolant of interval `k`; `None` for a zero-width interval (a jump).
    pub fn piece_of(&self, k: usize) -> Option<Piece> {
        self.piece_of_states(k, u32::MAX)
    }

    /// As [`Trajectory::piece_of`], holding only the states in the bit mask `states`.
    pub fn piece_of_states(&self, k: usize, states: u32) -> Option<Piece> {
        let (a, b) = (self.nodes.get(k)?, self.nodes.get(k + 1)?);
        (b.t > a.t).then(|| self.piece(k, states))
    }

    fn piece(&self, k: usize, states: u32) -> Piece {
        let mut piece = Piece::EMPTY;
        self.fill(k, states, &mut piece);
        piece
    }

    /// As [`Trajectory::piece_of_states`], written into `piece` (no copy of a fresh piece);
    /// `false` for a zero-width interval or `k` out of range.
    pub fn fill_piece(&self, k: usize, states: u32, piece: &mut Piece) -> bool {
        match (self.nodes.get(k), self.nodes.get(k + 1)) {
            (Some(a), Some(b)) if b.t > a.t => {
                self.fill(k, states, piece);
                true
            }
            _ => false,
        }
    }

    fn fill(&self, k: usize, states: u32, piece: &mut Piece) {
        let (pts, m) = self.stencil(k);
        piece.build(&pts[..m], self.layout.n, states);
        piece.t0 = self.nodes[k].t;
        piece.t1 = self.nodes[k + 1].t;
        // the presence mask of the interval is its left node's (a jump starts a new interval)
        piece.alive = self.nodes[k].alive;
    }

    /// Nodes used to interpolate interval `k`: its two ends plus each neighbour that lies in
    /// the same smooth piece (joined by a positive-width interval of comparable size: a
    /// neighbour much closer than the interval's own width would make the divided differences
    /// ill-conditioned).
    fn stencil(&self, k: usize) -> ([&Node; 4], usize) {
        let nodes = &self.nodes;
        let mut pts = [&nodes[k]; 4];
        let mut m = 0;
        let width = nodes[k + 1].t - nodes[k].t;
        let usable = |gap: f64| gap > 1e-3 * width;
        if k >= 1 && usable(nodes[k].t - nodes[k - 1].t) {
            pts[m] = &nodes[k - 1];
            m += 1;
        }
        pts[m] = &nodes[k];
        pts[m + 1] = &nodes[k + 1];
        m += 2;
        if k + 2 < nodes.len() && usable(nodes[k + 2].t - nodes[k + 1].t) {
            pts[m] = &nodes[k + 2];
            m += 1;
        }
        (pts, m)
    }

    /// Natural-unit state at a node.
    pub fn state_at_node(&self, k: usize, x: &mut [f64]) {
        let n = self.layout.n;
        x[..n].copy_from_slice(&self.nodes[k].x[..n]);
    }
}
