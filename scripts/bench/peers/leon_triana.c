/* León-Triana 2021 (eqs 4a-4c) right-hand side in C for deSolve's compiled-code interface.
 *
 * Mirrors crates/cartkin-core/src/model/builtin/leon_triana.rs (LeonTrianaDynamics) in the
 * solver coordinates of crates/cartkin-core/src/solve/layout.rs: C, L, B integrated as ln x;
 * a state that is not alive is zero and does not change. Parameter vector (leon_triana.R):
 * alpha, rho_C, tau_C, rho_L, tau_B, then the presence mask of C, L, B.
 *
 * Build: R CMD SHLIB leon_triana.c
 */
#include <math.h>
#include <R.h>

enum { ALPHA, RHO_C, TAU_C, RHO_L, TAU_B, ALIVE0, N_PAR = ALIVE0 + 3 };
static double p[N_PAR];

void leon_triana_init(void (*odeparms)(int *, double *)) {
    int n = N_PAR;
    odeparms(&n, p);
}

void leon_triana_derivs(int *neq, double *t, double *z, double *dz, double *yout, int *ip) {
    double x[3], dx[3];
    (void)neq; (void)t; (void)yout; (void)ip;
    for (int i = 0; i < 3; i++) x[i] = p[ALIVE0 + i] != 0.0 ? exp(z[i]) : 0.0;
    double c = x[0], l = x[1], b = x[2];
    dx[0] = p[RHO_C] * (l + b) * c - c / p[TAU_C];
    dx[1] = p[RHO_L] * l - p[ALPHA] * l * c;
    dx[2] = -p[ALPHA] * b * c - b / p[TAU_B];
    for (int i = 0; i < 3; i++)
        dz[i] = (p[ALIVE0 + i] != 0.0 && x[i] > 0.0) ? dx[i] / x[i] : 0.0;
}

/* Extinction roots: ln x = 0 for each living population (1 for the dead ones). */
void leon_triana_root(int *neq, double *t, double *z, int *ng, double *g, double *out, int *ip) {
    (void)neq; (void)t; (void)ng; (void)out; (void)ip;
    for (int i = 0; i < 3; i++) g[i] = p[ALIVE0 + i] != 0.0 ? z[i] : 1.0;
}
