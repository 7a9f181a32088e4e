# León-Triana 2021 (eqs 4a-4c) for deSolve::lsoda, mirroring cartkin (R twin of
# leon_triana.py; crates/cartkin-core/src/model/builtin/leon_triana.rs, values from
# models/leon_triana_2021.toml). C = 0 until the 1e7-cell bolus on day 0; L0 = 5e10,
# B0 = 2.5e10; all three integrated as ln x and extinct below one cell (segments.R).
# The same equations are in leon_triana.c for the compiled right-hand side.

LT_PAR <- c(alpha = 4.5e-11, rho_C = 1.125e-11, tau_C = 14, rho_L = 0.0333333333333333,
            tau_B = 60)
LT_STATES <- c("C", "L", "B")

leon_triana_rhs_R <- function(t, z, p) {
  alive <- p[6:8] != 0
  x <- exp(z)
  x[!alive] <- 0
  c <- x[1]; l <- x[2]; b <- x[3]
  dx <- c(p[2] * (l + b) * c - c / p[3],      # rho_C (L + B) C - C / tau_C
          p[4] * l - p[1] * l * c,            # rho_L L - alpha L C
          -p[1] * b * c - b / p[5])           # -alpha B C - B / tau_B
  dz <- ifelse(alive & x > 0, dx / x, 0)
  list(dz)
}

leon_triana_root_R <- function(t, z, p) ifelse(p[6:8] != 0, z, 1)

leon_triana_model <- list(
  n = 3, n_routes = 1, log = rep(TRUE, 3), extinction = rep(TRUE, 3),
  washout_below = rep(0, 3),
  bolus = function(route, amount, x) { x[1] <- x[1] + amount; x },
  par = function(rates, alive, washing) c(LT_PAR, as.numeric(alive)),
  rhs_R = leon_triana_rhs_R, root_R = leon_triana_root_R, nroot = 3,
  dll = "leon_triana", c_init = "leon_triana_init", c_derivs = "leon_triana_derivs",
  c_root = "leon_triana_root")

leon_triana_run <- function(rhs, out_times, days = 365, rtol = 1e-6, atol = 1e-8) {
  simulate_segments(leon_triana_model, c(0, 5e10, 2.5e10),
                    list(list(time = 0, route = 1, amount = 1e7, duration = NULL)), 0, days,
                    out_times, rhs = rhs, rtol = rtol, atol = atol)
}
