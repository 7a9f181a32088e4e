# Segment-by-segment driver for deSolve::lsoda, mirroring cartkin's simulation loop
# (crates/cartkin-core/src/simulate.rs: Runner::run, Runner::advance; solve/layout.rs).
# The R twin of segments.py; see there for the full description:
#   * cells are integrated as ln x, drug amounts linearly; a state that is not alive is zero;
#   * doses cut time into segments with constant infusion rates; a bolus changes the state;
#   * extinction (ln x = 0 for a population) and washout (all drug amounts below their washout
#     amounts while nothing is infused) are lsoda roots: lsoda stops there (rootfunc without
#     events) and the driver restarts the segment with those states removed.
#
# A model is a list with: n, n_routes, log, extinction, washout_below (vectors of length n),
# bolus(route, amount, x) -> x, par(rates, alive, washing) -> numeric parameter vector,
# rhs_R(t, z, parms) and root_R(t, z, parms) (R versions), nroot, and dll, c_init, c_derivs,
# c_root (names in the compiled library).

library(deSolve)

simulate_segments <- function(model, x0, doses, t_start, t_end, out_times, rhs = "R",
                              rtol = 1e-6, atol = 1e-8) {
  n <- model$n
  # actions as in simulate.rs `schedule`: time, kind (0 bolus, 1 rate change), route, value
  act <- list()
  for (d in doses) {
    if (is.null(d$duration)) {
      act[[length(act) + 1]] <- c(d$time, 0, d$route, d$amount)
    } else {
      rate <- d$amount / d$duration
      act[[length(act) + 1]] <- c(d$time, 1, d$route, rate)
      act[[length(act) + 1]] <- c(d$time + d$duration, 1, d$route, -rate)
    }
  }
  act <- do.call(rbind, act)
  act <- act[order(act[, 1]), , drop = FALSE]

  natural <- function(z, alive) {
    x <- ifelse(model$log, exp(z), z)
    x[!alive] <- 0
    x
  }
  to_solver <- function(x, alive) {
    z <- ifelse(model$log, log(ifelse(x > 0, x, 1)), x)
    z[!alive] <- 0
    z
  }
  washout <- model$washout_below > 0
  x <- x0
  alive <- !model$log | x > 0
  z <- to_solver(x, alive)
  rates <- numeric(model$n_routes)
  out_x <- matrix(NA_real_, length(out_times), n)
  k <- 1L
  nfev <- 0
  segments <- 0
  events <- list()
  t <- t_start
  ia <- 1L
  repeat {
    while (ia <= nrow(act) && act[ia, 1] <= t) {
      route <- act[ia, 3]
      if (act[ia, 2] == 0) {
        x <- model$bolus(route, act[ia, 4], natural(z, alive))
        alive <- alive | (model$log & x > 0)
        z <- to_solver(x, alive)
      } else {
        alive <- alive | washout # an infusion re-activates washed-out drugs
        rates[route] <- rates[route] + act[ia, 4]
        if (abs(rates[route]) <= 1e-9 * abs(act[ia, 4])) rates[route] <- 0
      }
      ia <- ia + 1L
    }
    if (t >= t_end) break
    t1 <- if (ia <= nrow(act)) min(act[ia, 1], t_end) else t_end
    while (t < t1) {
      below <- model$extinction & alive & z < 0
      if (any(below)) {
        alive <- alive & !below
        z[below] <- 0
        events[[length(events) + 1]] <- list(t = t, kind = "extinction", states = which(below))
      }
      washing <- any(washout & alive) && all(rates == 0)
      parms <- model$par(rates, alive, washing)
      while (k <= length(out_times) && out_times[k] <= t) {
        out_x[k, ] <- natural(z, alive)
        k <- k + 1L
      }
      inside <- out_times[out_times > t & out_times < t1]
      times <- c(t, inside, t1)
      sol <- if (rhs == "R") {
        lsoda(z, times, model$rhs_R, parms, rtol = rtol, atol = atol,
              rootfunc = model$root_R)
      } else {
        lsoda(z, times, model$c_derivs, parms, rtol = rtol, atol = atol,
              dllname = model$dll, initfunc = model$c_init, rootfunc = model$c_root,
              nroot = model$nroot)
      }
      istate <- attr(sol, "istate")
      if (istate[1] < 0) stop(sprintf("lsoda failed at t=%g (istate %d)", t, istate[1]))
      nfev <- nfev + istate[3]
      segments <- segments + 1
      tt <- sol[, 1]
      troot <- attr(sol, "troot")
      for (j in seq_along(tt)) {
        if (j > 1 && tt[j] < t1 && tt[j] %in% inside) {
          out_x[k, ] <- natural(sol[j, 2:(n + 1)], alive)
          k <- k + 1L
        }
      }
      if (!is.null(troot) && length(troot) > 0) {
        # stopped at a root: the last row is the state at the root
        t <- troot[1]
        z <- as.numeric(sol[nrow(sol), 2:(n + 1)])
        g <- model$root_R(t, z, parms) # which root: the R twin of the compiled one
        ext <- which(model$extinction & alive)
        gone <- ext[z[ext] <= 1e-9]
        kind <- "extinction"
        if (length(gone) == 0) {
          # the washout root (or an extinction found a hair above zero)
          if (washing && g[length(g)] <= 1e-9) {
            gone <- which(washout & alive)
            kind <- "washout"
          } else {
            gone <- ext[which.min(z[ext])]
          }
        }
        alive[gone] <- FALSE
        z[gone] <- 0
        events[[length(events) + 1]] <- list(t = t, kind = kind, states = gone)
      } else {
        z <- as.numeric(sol[nrow(sol), 2:(n + 1)])
        t <- t1
      }
    }
    t <- t1
  }
  while (k <= length(out_times) && out_times[k] <= t_end) {
    out_x[k, ] <- natural(z, alive)
    k <- k + 1L
  }
  list(t = out_times, x = out_x, nfev = nfev, segments = segments, events = events)
}

# Median wall time [s] of f() over at least min_reps calls and min_seconds.
median_time <- function(f, min_reps = 5, min_seconds = 2, max_reps = 1000) {
  times <- numeric(0)
  start <- proc.time()[["elapsed"]]
  while (length(times) < max_reps &&
         (length(times) < min_reps || proc.time()[["elapsed"]] - start < min_seconds)) {
    t0 <- Sys.time()
    f()
    times <- c(times, as.numeric(Sys.time() - t0, units = "secs"))
  }
  list(median = stats::median(times), reps = length(times))
}
