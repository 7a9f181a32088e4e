/* cart_all right-hand side in C for deSolve's compiled-code interface (dllname/initfunc).
 *
 * Mirrors crates/cartkin-core/src/model/builtin/cart_all.rs (CartAllDynamics::derivatives),
 * fludarabine.rs (FludarabinePk::derivatives) and the solver coordinates of
 * crates/cartkin-core/src/solve/layout.rs: E, M, Lp, Ln, B, N, IL6 are integrated as ln x,
 * F1, F2, F3, Cy, AUCF linearly; a state that is not alive is zero and does not change.
 * The per-patient constants, the segment's infusion rates and the presence mask are the
 * parameter vector, laid out by cart_all.R (par_vector); the R driver restarts lsoda at every
 * dose event, extinction and washout (the roots computed by root() below).
 *
 * Build: R CMD SHLIB cart_all.c
 */
#include <math.h>
#include <R.h>

enum {
    /* model parameters, order of CartAll::parameters (cart_all.rs) */
    RHO_E, K_A, K_T, A_M, DELTA_E, K_EM, DELTA_M, F_MEM, GAMMA, K_E, G_L, L_MAX, L0, F_NEG,
    F_L, B0, TAU_B, C50, R_N, K_N, N0, IL6_0, K_IL6, P_IL6, S_F, S_CY, V_CY_KG, T_HALF_CY,
    H_MARROW, K_TG, CL_NR, THETA_GFR, V1_70, V2_70, V3_70, Q2_70, Q3_70, EGFR_MAX, F_DOSE,
    /* per-patient constants computed in R (FludarabinePk::from_typical, CartAll::build) */
    V1, K10, K12, K21, K13, K31, V_CY, K_CY,
    /* segment inputs: infusion rates [mg/day], presence mask, washout allowed */
    RATE_FLU, RATE_CY, ALIVE0, WASHING = ALIVE0 + 12,
    N_PAR
};
#define NS 12
#define N_LOG 7
#define N_EXTINCT 5
static const double WASHOUT_BELOW[4] = {2.0e-7, 2.0e-7, 2.0e-7, 2.5e-7}; /* F1 F2 F3 Cy */

static double p[N_PAR];

void cart_all_init(void (*odeparms)(int *, double *)) {
    int n = N_PAR;
    odeparms(&n, p);
}

void cart_all_derivs(int *neq, double *t, double *z, double *dz, double *yout, int *ip) {
    double x[NS], dx[NS];
    (void)neq; (void)t; (void)yout; (void)ip;
    for (int i = 0; i < NS; i++) {
        int alive = p[ALIVE0 + i] != 0.0;
        x[i] = !alive ? 0.0 : (i < N_LOG ? exp(z[i]) : z[i]);
    }
    double e = x[0], m = x[1], lp = x[2], ln = x[3], b = x[4], n = x[5], il6 = x[6];
    double f1 = x[7], f2 = x[8], f3 = x[9], cy = x[10];
    double car = e + m;
    double antigen = lp + b;
    double stim = antigen / (p[K_A] + antigen);
    double space = p[K_T] / (p[K_T] + n + car);
    double chemo = p[S_F] * f1 / p[V1] + p[S_CY] * cy / p[V_CY];
    double kill = p[GAMMA] * e / (p[K_E] + e);
    double crowding = 1.0 - (lp + ln) / p[L_MAX];
    double reactivation = p[A_M] * stim * m;
    double to_2 = p[K12] * f1 - p[K21] * f2;
    double to_3 = p[K13] * f1 - p[K31] * f3;
    dx[0] = p[RHO_E] * stim * space * e + reactivation - (p[DELTA_E] + p[K_EM] + chemo) * e;
    dx[1] = p[K_EM] * e - reactivation - (p[DELTA_M] + chemo) * m;
    dx[2] = (p[G_L] * crowding - kill - p[F_L] * chemo) * lp;
    dx[3] = (p[G_L] * crowding - p[F_L] * chemo) * ln;
    dx[4] = p[B0] / p[TAU_B] / (1.0 + car / p[C50]) - (1.0 / p[TAU_B] + kill + chemo) * b;
    dx[5] = (p[R_N] * (1.0 - (n + car) / p[K_N]) - chemo) * n;
    dx[6] = p[K_IL6] * (p[IL6_0] - il6) + p[P_IL6] * kill * antigen * 1e-9;
    dx[7] = p[F_DOSE] * p[RATE_FLU] - p[K10] * f1 - to_2 - to_3;
    dx[8] = to_2;
    dx[9] = to_3;
    dx[10] = p[RATE_CY] - p[K_CY] * cy;
    dx[11] = 24.0 * f1 / p[V1]; /* AUC in mg·h/L, time in days */
    for (int i = 0; i < NS; i++) {
        int alive = p[ALIVE0 + i] != 0.0;
        if (!alive) dz[i] = 0.0;
        else if (i < N_LOG) dz[i] = x[i] > 0.0 ? dx[i] / x[i] : 0.0;
        else dz[i] = dx[i];
    }
}

/* Roots: ln x = 0 for each living population that can go extinct (E, M, Lp, Ln, B), and,
 * while nothing is infused, max |F_i| / washout_i - 1 for the drug amounts. Inactive roots
 * return 1 so that they never fire. */
void cart_all_root(int *neq, double *t, double *z, int *ng, double *g, double *out, int *ip) {
    (void)neq; (void)t; (void)ng; (void)out; (void)ip;
    for (int i = 0; i < N_EXTINCT; i++)
        g[i] = p[ALIVE0 + i] != 0.0 ? z[i] : 1.0;
    if (p[WASHING] != 0.0) {
        double worst = 0.0;
        for (int j = 0; j < 4; j++) {
            double r = fabs(z[7 + j]) / WASHOUT_BELOW[j];
            if (r > worst) worst = r;
        }
        g[N_EXTINCT] = worst - 1.0;
    } else {
        g[N_EXTINCT] = 1.0;
    }
}
