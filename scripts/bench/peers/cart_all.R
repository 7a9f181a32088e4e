# cart_all with the ELIANA regimen for deSolve::lsoda, mirroring cartkin (R twin of cart_all.py).
#
# Equations: crates/cartkin-core/src/model/builtin/cart_all.rs (CartAllDynamics::derivatives)
# and fludarabine.rs (FludarabinePk); per-patient values from export_params.py. The same
# equations are in cart_all.c for the compiled right-hand side; both read the parameter vector
# built by cart_all_par(). Regimen (data/regimens/eliana.toml, as Regimen::doses): fludarabine
# 30 mg/m² on days -5..-2 and cyclophosphamide 500 mg/m² on days -5, -4, 1-h infusions
# (mg/m² × Mosteller BSA); CAR-T bolus on day 0 split (1 - f_mem) → E, f_mem → M.
# Doses are reproduced by integrating segment by segment between dose events (segments.R).

CART_PARAMETERS <- c(
  "rho_E", "K_A", "K_T", "a_M", "delta_E", "k_EM", "delta_M", "f_mem", "gamma", "K_E",
  "g_L", "L_max", "L0", "f_neg", "f_L", "B0", "tau_B", "C50", "r_N", "K_N", "N0", "IL6_0",
  "k_IL6", "p_IL6", "s_F", "s_Cy", "v_Cy", "t_half_Cy", "H_marrow", "k_tg", "CL_nr",
  "theta_GFR", "V1", "V2", "V3", "Q2", "Q3", "eGFR_max", "F_dose")
CART_STATES <- c("E", "M", "Lp", "Ln", "B", "N", "IL6", "F1", "F2", "F3", "Cy", "AUCF")
ELIANA <- list(
  list(route = 2, mg_m2 = 30, days = c(-5, -4, -3, -2), hours = 1),  # fludarabine
  list(route = 3, mg_m2 = 500, days = c(-5, -4), hours = 1))         # cyclophosphamide

# Per-patient constants: FludarabinePk::from_typical and CartAll::build.
cart_all_constants <- function(pt) {
  p <- as.list(pt)
  size <- p$weight_kg / 70
  allo <- size^0.75
  cl <- (p$CL_nr + p$theta_GFR * min(p$egfr, p$eGFR_max) * 0.06) * allo
  v1 <- p$V1 * size
  c(V1 = v1, K10 = 24 * cl / v1, K12 = 24 * p$Q2 * allo / v1,
    K21 = 24 * p$Q2 * allo / (p$V2 * size), K13 = 24 * p$Q3 * allo / v1,
    K31 = 24 * p$Q3 * allo / (p$V3 * size), V_CY = p$v_Cy * p$weight_kg,
    K_CY = log(2) / (p$t_half_Cy / 24))
}

# The right-hand side in solver coordinates, in R (same layout as cart_all.c).
cart_all_rhs_R <- function(t, z, p) {
  alive <- p[50:61] != 0
  x <- c(exp(z[1:7]), z[8:12])
  x[!alive] <- 0
  e <- x[1]; m <- x[2]; lp <- x[3]; ln <- x[4]; b <- x[5]; n <- x[6]; il6 <- x[7]
  f1 <- x[8]; f2 <- x[9]; f3 <- x[10]; cy <- x[11]
  car <- e + m
  antigen <- lp + b
  stim <- antigen / (p[2] + antigen)                 # K_A
  space <- p[3] / (p[3] + n + car)                   # K_T
  chemo <- p[25] * f1 / p[40] + p[26] * cy / p[46]   # s_F F1/V1 + s_Cy Cy/V_Cy
  kill <- p[9] * e / (p[10] + e)                     # gamma, K_E
  crowding <- 1 - (lp + ln) / p[12]                  # L_max
  reactivation <- p[4] * stim * m                    # a_M
  to_2 <- p[42] * f1 - p[43] * f2                    # k12, k21
  to_3 <- p[44] * f1 - p[45] * f3                    # k13, k31
  dx <- c(
    p[1] * stim * space * e + reactivation - (p[5] + p[6] + chemo) * e,
    p[6] * e - reactivation - (p[7] + chemo) * m,
    (p[11] * crowding - kill - p[15] * chemo) * lp,
    (p[11] * crowding - p[15] * chemo) * ln,
    p[16] / p[17] / (1 + car / p[18]) - (1 / p[17] + kill + chemo) * b,
    (p[19] * (1 - (n + car) / p[20]) - chemo) * n,
    p[23] * (p[22] - il6) + p[24] * kill * antigen * 1e-9,
    p[39] * p[48] - p[41] * f1 - to_2 - to_3,        # F_dose × rate_flu − k10 F1 − …
    to_2,
    to_3,
    p[49] - p[47] * cy,                              # rate_cy − k_Cy Cy
    24 * f1 / p[40])
  dz <- c(ifelse(x[1:7] > 0, dx[1:7] / x[1:7], 0), dx[8:12])
  dz[!alive] <- 0
  list(dz)
}

WASHOUT_BELOW <- c(rep(0, 7), 2e-7, 2e-7, 2e-7, 2.5e-7, 0)

cart_all_root_R <- function(t, z, p) {
  alive <- p[50:61] != 0
  g <- ifelse(alive[1:5], z[1:5], 1)
  g6 <- if (p[62] != 0) max(abs(z[8:11]) / WASHOUT_BELOW[8:11]) - 1 else 1
  c(g, g6)
}

cart_all_model <- function(pt) {
  base <- c(unlist(pt[CART_PARAMETERS]), cart_all_constants(pt))
  f_mem <- pt[["f_mem"]]
  list(
    n = 12, n_routes = 3,
    log = c(rep(TRUE, 7), rep(FALSE, 5)),
    extinction = c(rep(TRUE, 5), rep(FALSE, 7)),
    washout_below = WASHOUT_BELOW,
    bolus = function(route, amount, x) {
      if (route == 1) {
        x[1] <- x[1] + (1 - f_mem) * amount
        x[2] <- x[2] + f_mem * amount
      }
      x
    },
    par = function(rates, alive, washing) c(base, rates[2], rates[3], as.numeric(alive),
                                            as.numeric(washing)),
    rhs_R = cart_all_rhs_R, root_R = cart_all_root_R, nroot = 6,
    dll = "cart_all", c_init = "cart_all_init", c_derivs = "cart_all_derivs",
    c_root = "cart_all_root")
}

cart_all_initial <- function(pt) {
  c(0, 0, (1 - pt[["f_neg"]]) * pt[["L0"]], pt[["f_neg"]] * pt[["L0"]], pt[["B0"]],
    pt[["N0"]], pt[["IL6_0"]], 0, 0, 0, 0, 0)
}

cart_all_doses <- function(pt) {
  doses <- list()
  for (c in ELIANA) for (d in c$days) {
    doses[[length(doses) + 1]] <- list(time = d, route = c$route,
                                       amount = c$mg_m2 * pt[["bsa_m2"]],
                                       duration = c$hours / 24)
  }
  doses[[length(doses) + 1]] <- list(time = 0, route = 1, amount = pt[["dose_cells"]],
                                     duration = NULL)
  doses
}

cart_all_run <- function(pt, rhs, out_times, days = 1825, rtol = 1e-6, atol = 1e-8) {
  simulate_segments(cart_all_model(pt), cart_all_initial(pt), cart_all_doses(pt), -5, days,
                    out_times, rhs = rhs, rtol = rtol, atol = atol)
}
