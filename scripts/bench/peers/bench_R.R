# Check and time the deSolve peers: lsoda with an R right-hand side and with the compiled C
# right-hand side (cart_all.c, leon_triana.c through dllname/initfunc). R twin of
# bench_python.py, same modes and outputs (appended to OUT_DIR/peaks.csv and timings.csv).
#
# Usage: Rscript bench_R.R check OUT_DIR TYPICAL_CSV POPULATION_CSV CHECK_N LIB_DIR
#        Rscript bench_R.R time  OUT_DIR TYPICAL_CSV POPULATION_CSV POP_N LIB_DIR
# LIB_DIR holds cart_all.so and leon_triana.so (R CMD SHLIB). Timing is in-process
# (Sys.time around one simulation; R start-up, package and library loading excluded).

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]; out <- args[2]; n <- as.integer(args[5]); lib <- args[6]
source(file.path(here, "segments.R"))
source(file.path(here, "cart_all.R"))
source(file.path(here, "leon_triana.R"))
suppressMessages(library(deSolve))
dyn.load(file.path(lib, paste0("cart_all", .Platform$dynlib.ext)))
dyn.load(file.path(lib, paste0("leon_triana", .Platform$dynlib.ext)))

typical <- as.list(read.csv(args[3])[1, ])
population <- read.csv(args[4])
ATOL <- 1e-8
RTOLS <- c(1e-6, 1e-7, 1e-8) # tried by the gate, loosest first
LT_POINTS <- c(1, 7, 14, 28, 60, 100, 200, 365)
CA_POINTS <- c(-4, -2, 0, 1, 3, 7, 10, 14, 21, 28, 60, 100, 180, 365, 730, 1095, 1825)
PEAK_GRID <- round(seq(0, 100, by = 0.01), 2)

peak <- function(times, car) {
  k <- which.max(car)
  if (k > 1 && k < length(car) && car[k - 1] > 0 && car[k + 1] > 0) {
    y <- log(car[(k - 1):(k + 1)])
    h <- times[k + 1] - times[k]
    d <- y[1] - 2 * y[2] + y[3]
    s <- if (d != 0) 0.5 * (y[1] - y[3]) / d else 0
    return(c(times[k] + s * h, exp(y[2] - 0.25 * (y[1] - y[3]) * s)))
  }
  c(times[k], car[k])
}

check <- function(workload, tool, patient, run, points, names, car_index) {
  times <- sort(union(points, PEAK_GRID))
  r <- run(times)
  keep <- times %in% points
  m <- cbind(times[keep], r$x[keep, , drop = FALSE])
  colnames(m) <- c("time", names)
  write.csv(format(as.data.frame(m), digits = 17),
            file.path(out, sprintf("check_%s_%s_%d.csv", workload, tool, patient)),
            row.names = FALSE, quote = FALSE)
  grid <- times %in% PEAK_GRID
  car <- rowSums(r$x[grid, car_index, drop = FALSE])
  pk <- peak(times[grid], car)
  data.frame(workload, tool, patient, tmax = pk[1], cmax = pk[2], nfev = r$nfev,
             segments = r$segments)
}

if (mode == "check") {
  # untimed runs at each candidate rtol, for report.py's agreement gate
  peaks <- list()
  for (rhs in c("R", "C")) for (rtol in RTOLS) {
    tool <- sprintf("deSolve_lsoda_%s_%s", rhs, format(rtol))
    add <- function(d) peaks[[length(peaks) + 1]] <<- cbind(rtol = rtol, d)
    add(check("leon_triana", tool, 0, function(ts) leon_triana_run(rhs, ts, 365, rtol, ATOL),
              LT_POINTS, LT_STATES, 1))
    add(check("cart_all", tool, 0, function(ts) cart_all_run(typical, rhs, ts, 1825, rtol, ATOL),
              CA_POINTS, CART_STATES, 1:2))
    for (i in seq_len(n)) {
      pt <- as.list(population[i, ])
      add(check("population", tool, i, function(ts) cart_all_run(pt, rhs, ts, 1825, rtol, ATOL),
                CA_POINTS, CART_STATES, 1:2))
    }
    cat(sprintf("  checked %s\n", tool))
  }
  write.table(do.call(rbind, peaks), file.path(out, "peaks.csv"), sep = ",", append = TRUE,
              row.names = FALSE, col.names = FALSE, quote = FALSE)
} else {
  # timed runs at the rtol chosen by the gate
  tol <- read.csv(file.path(out, "tolerances.csv"), header = FALSE,
                  col.names = c("workload", "tool", "rtol"))
  rtol_of <- function(w, tool) tol$rtol[tol$workload == w & tol$tool == tool]
  timings <- list()
  row <- function(...) timings[[length(timings) + 1]] <<- paste(..., sep = ",")
  for (rhs in c("R", "C")) {
    tool <- paste0("deSolve_lsoda_", rhs)
    # (1) León-Triana, 365 days
    rtol <- rtol_of("leon_triana", tool)
    nfev <- leon_triana_run(rhs, LT_POINTS, 365, rtol, ATOL)$nfev
    tm <- median_time(function() leon_triana_run(rhs, LT_POINTS, 365, rtol, ATOL))
    row("leon_triana", tool, rtol, tm$median, tm$reps, nfev, "")
    cat(sprintf("  leon_triana %s rtol %g: %.3f ms (%d runs), nfev %d\n", tool, rtol,
                1e3 * tm$median, tm$reps, nfev))
    # (2) cart_all, typical ELIANA patient, 5 years
    rtol <- rtol_of("cart_all", tool)
    nfev <- cart_all_run(typical, rhs, CA_POINTS, 1825, rtol, ATOL)$nfev
    tm <- median_time(function() cart_all_run(typical, rhs, CA_POINTS, 1825, rtol, ATOL))
    row("cart_all", tool, rtol, tm$median, tm$reps, nfev, "")
    cat(sprintf("  cart_all %s rtol %g: %.3f ms (%d runs), nfev %d\n", tool, rtol,
                1e3 * tm$median, tm$reps, nfev))
    # (3) population: per-patient parameters exported from `cartkin population`
    rtol <- rtol_of("population", tool)
    per <- numeric(0); nfevs <- numeric(0)
    for (i in seq_len(min(n, nrow(population)))) {
      pt <- as.list(population[i, ])
      t0 <- Sys.time()
      r <- cart_all_run(pt, rhs, CA_POINTS, 1825, rtol, ATOL)
      per <- c(per, as.numeric(Sys.time() - t0, units = "secs"))
      nfevs <- c(nfevs, r$nfev)
    }
    row("population", tool, rtol, median(per), length(per), median(nfevs), sum(per))
    cat(sprintf("  population %s rtol %g: %.3f ms/patient over %d patients (%.1f s)\n", tool,
                rtol, 1e3 * mean(per), length(per), sum(per)))
  }
  cat(unlist(timings), file = file.path(out, "timings.csv"), sep = "\n", append = TRUE)
}
