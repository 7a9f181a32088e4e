//! Parameter structs declared once: each field with its name in model files.

/// Declares a struct of named `f64` parameters, each field with the name a model file gives it
/// (`rho_e = "rho_E"`). Generates the struct, `N`, `NAMES` (the model-file names in declaration
/// order: what [`Structure::parameters`](crate::model::Structure::parameters) returns) and
/// `from_values`, so a parameter is added or renamed in one place.
macro_rules! named_parameters {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident = $pname:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        $vis struct $name {
            $( $(#[$fmeta])* pub $field: f64, )*
        }

        #[allow(dead_code)]
        impl $name {
            /// Number of parameters.
            pub const N: usize = [$($pname),*].len();
            /// Their names in model files, in the order [`Self::from_values`] reads them.
            pub const NAMES: [&'static str; Self::N] = [$($pname),*];

            /// The parameters from their values in [`Self::NAMES`] order.
            pub fn from_values(values: [f64; Self::N]) -> Self {
                let [$($field),*] = values;
                Self { $($field),* }
            }
        }
    };
}

pub(crate) use named_parameters;
