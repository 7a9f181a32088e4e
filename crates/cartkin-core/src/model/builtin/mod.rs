//! Built-in model structures. Add a new one by implementing
//! [`Structure`](crate::model::Structure) in its own file and listing it in [`STRUCTURES`].

mod cart_all;
mod cart_dual;
mod cart_host;
mod fludarabine;
mod leon_triana;
mod named;
mod stein;

pub use cart_all::CartAll;
pub use cart_dual::CartDual;
pub use fludarabine::{
    FludarabineDosing, FludarabineLangenhorst2019, FludarabineParams, FludarabinePk,
    clearance_l_per_h as fludarabine_clearance_l_per_h, egfr_cap as fludarabine_egfr_cap,
};
pub use leon_triana::LeonTriana2021;
pub use stein::{Stein2019, SteinParams};

use crate::model::dynamics::Structure;

/// Every built-in structure, looked up by [`Structure::id`].
pub static STRUCTURES: &[&dyn Structure] = &[
    &Stein2019,
    &LeonTriana2021,
    &FludarabineLangenhorst2019,
    &CartAll,
    &CartDual,
];

/// The structure with the given id.
pub fn find(id: &str) -> Option<&'static dyn Structure> {
    STRUCTURES.iter().copied().find(|s| s.id() == id)
}
