//! Mapping between natural units and solver coordinates.

use crate::model::{MAX_STATES, ModelSpec, Transform};

/// Per-state representation in the solver, fixed for a model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    /// Number of states.
    pub n: usize,
    /// `true` where the state is integrated as `ln x`.
    pub log: [bool; MAX_STATES],
    /// Scale of linear states (1 for log states).
    pub scale: [f64; MAX_STATES],
    /// `1/scale`: the rate conversion runs at every right-hand-side evaluation, and a division
    /// costs several multiplications.
    pub inv_scale: [f64; MAX_STATES],
    /// `true` where the state is a population that goes extinct below one cell.
    pub extinction: [bool; MAX_STATES],
    /// Solver-coordinate magnitude below which a drug amount washes out (0: never).
    pub washout_below: [f64; MAX_STATES],
    /// Seeded populations: `(hazard, target)` state pairs ([`crate::model::Seed`]), the first
    /// `n_seeds` entries.
    pub seeds: [(usize, usize); MAX_SEEDS],
    /// Number of entries of `seeds` in use.
    pub n_seeds: usize,
}

/// Most seeded populations a model may have (a fixed table keeps the layout `Copy`; every
/// built-in structure fits, tested below).
pub const MAX_SEEDS: usize = 4;

/// Bit mask of the active states: a log state is active while present (non-zero), a linear
/// one unless it has washed out. An inactive state is zero and does not change.
pub type Alive = u32;

impl Layout {
    /// The layout declared by a model file.
    pub fn of(spec: &ModelSpec) -> Self {
        let mut layout = Layout {
            n: spec.states.len(),
            log: [false; MAX_STATES],
            scale: [1.0; MAX_STATES],
            inv_scale: [1.0; MAX_STATES],
            extinction: [false; MAX_STATES],
            washout_below: [0.0; MAX_STATES],
            seeds: [(0, 0); MAX_SEEDS],
            n_seeds: 0,
        };
        for (i, s) in spec.states.iter().enumerate() {
            layout.log[i] = s.transform == Transform::Log;
            layout.scale[i] = s.scale;
            layout.inv_scale[i] = 1.0 / s.scale;
            layout.extinction[i] = s.extinction && layout.log[i];
            if !layout.log[i] {
                layout.washout_below[i] = s.washout_below.map_or(0.0, |w| w / s.scale);
            }
            if let Some(h) = s.seeded_by
                && layout.n_seeds < MAX_SEEDS
            {
                layout.seeds[layout.n_seeds] = (h, i);
                layout.n_seeds += 1;
            }
        }
        layout
    }

    /// The seeded populations' `(hazard, target)` pairs.
    pub fn seeds(&self) -> &[(usize, usize)] {
        &self.seeds[..self.n_seeds]
    }

    /// Mask of the washout states.
    pub fn washout_mask(&self) -> Alive {
        (0..self.n)
            .filter(|&i| self.washout_below[i] > 0.0)
            .fold(0, |m, i| m | (1 << i))
    }

    /// Solver coordinates and presence mask from natural values.
    pub fn to_solver(&self, x: &[f64], z: &mut [f64]) -> Alive {
        let mut alive = 0;
        for i in 0..self.n {
            if self.log[i] {
                if x[i] > 0.0 {
                    z[i] = x[i].ln();
                    alive |= 1 << i;
                } else {
                    z[i] = 0.0;
                }
            } else {
                z[i] = x[i] / self.scale[i];
                alive |= 1 << i;
            }
        }
        alive
    }

    /// Natural values from solver coordinates.
    #[inline]
    pub fn to_natural(&self, z: &[f64], alive: Alive, x: &mut [f64]) {
        for i in 0..self.n {
            x[i] = self.natural(i, z[i], alive);
        }
    }

    /// Natural value of state `i` from its solver coordinate `z`.
    #[inline]
    pub fn natural(&self, i: usize, z: f64, alive: Alive) -> f64 {
        let active = alive & (1 << i) != 0;
        match (active, self.log[i]) {
            (false, _) => 0.0,
            (true, true) => z.exp(),
            (true, false) => z * self.scale[i],
        }
    }

    /// Solver-coordinate rates from natural values and rates.
    #[inline]
    pub fn to_solver_rate(&self, x: &[f64], dx: &[f64], alive: Alive, dz: &mut [f64]) {
        for i in 0..self.n {
            let active = alive & (1 << i) != 0;
            dz[i] = match (active, self.log[i]) {
                (false, _) => 0.0,
                // x > 0 guards an exp that underflowed to zero
                (true, true) => {
                    if x[i] > 0.0 {
                        dx[i] / x[i]
                    } else {
                        0.0
                    }
                }
                (true, false) => dx[i] * self.inv_scale[i],
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MAX_SEEDS;
    use crate::model::MAX_STATES;
    use crate::model::builtin::STRUCTURES;

    /// `Layout::of` keeps at most `MAX_SEEDS` seeds: a structure with more would lose some.
    #[test]
    fn every_builtin_structure_fits_the_seed_table() {
        for s in STRUCTURES {
            assert!(s.seeds().len() <= MAX_SEEDS, "{}: too many seeds", s.id());
            for seed in s.seeds() {
                assert!(seed.hazard < MAX_STATES && seed.target < MAX_STATES);
                assert!(seed.hazard < s.states().len() && seed.target < s.states().len());
            }
        }
    }
}
