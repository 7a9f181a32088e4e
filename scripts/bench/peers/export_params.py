#!/usr/bin/env python3
"""Writes the per-patient inputs of the cart_all peer implementations as one CSV.

Every row is one patient: the 39 cart_all parameters (in the order of
`CartAll::parameters` in `crates/cartkin-core/src/model/builtin/cart_all.rs`), then
weight_kg, height_cm, egfr, bsa_m2 and dose_cells. The Python and R peers read this file, so
all tools integrate exactly the same patients.

  export_params.py typical MODEL_TOML OUT.csv
      one row: the model's typical values and its default patient
      ([defaults.patient]: weight, height, eGFR; dose_per_kg × weight).
  export_params.py cartkin-args PATIENTS_CSV K
      the `cartkin simulate` options that reproduce patient K (1-based) of PATIENTS_CSV
      (--set for each sampled parameter, covariates, dose), one per line.
  export_params.py population MODEL_TOML PATIENTS_CSV OUT.csv
      one row per patient of `cartkin population --out DIR` (DIR/patients.csv): the sampled
      parameters and covariates from that file (printed there to 7 significant digits), the
      other parameters at the model's typical values.

BSA is Mosteller, sqrt(height × weight / 3600), as `bsa_mosteller` in
`crates/cartkin-core/src/patient.rs`.
"""
import csv
import math
import sys
import tomllib

PARAMETERS = [
    "rho_E", "K_A", "K_T", "a_M", "delta_E", "k_EM", "delta_M", "f_mem", "gamma", "K_E",
    "g_L", "L_max", "L0", "f_neg", "f_L", "B0", "tau_B", "C50", "r_N", "K_N", "N0", "IL6_0",
    "k_IL6", "p_IL6", "s_F", "s_Cy", "v_Cy", "t_half_Cy", "H_marrow", "k_tg", "CL_nr",
    "theta_GFR", "V1", "V2", "V3", "Q2", "Q3", "eGFR_max", "F_dose",
]
COVARIATES = ["weight_kg", "height_cm", "egfr", "bsa_m2", "dose_cells"]


def typical(model_toml):
    with open(model_toml, "rb") as f:
        m = tomllib.load(f)
    values = {p["name"]: float(p["value"]) for p in m["parameters"]}
    missing = [p for p in PARAMETERS if p not in values]
    if missing:
        sys.exit(f"{model_toml}: missing parameters {missing}")
    return values, m["defaults"]


def row(values, weight, height, egfr, dose):
    bsa = math.sqrt(height * weight / 3600.0)
    return [repr(values[p]) for p in PARAMETERS] + [repr(weight), repr(height), repr(egfr),
                                                     repr(bsa), repr(dose)]


def main(argv):
    if len(argv) == 4 and argv[1] == "typical":
        values, d = typical(argv[2])
        p = d["patient"]
        rows = [row(values, p["weight_kg"], p["height_cm"], p["egfr"],
                    d["dose_per_kg"] * p["weight_kg"])]
        out = argv[3]
    elif len(argv) == 5 and argv[1] == "population":
        values, _ = typical(argv[2])
        rows = []
        with open(argv[3], newline="") as f:
            for r in csv.DictReader(f):
                v = dict(values)
                for p in PARAMETERS:
                    if p in r:
                        v[p] = float(r[p])
                rows.append(row(v, float(r["weight_kg"]), float(r["height_cm"]),
                                float(r["egfr"]), float(r["dose_cells"])))
        out = argv[4]
    elif len(argv) == 4 and argv[1] == "cartkin-args":
        with open(argv[2], newline="") as f:
            reader = csv.DictReader(f)
            r = list(reader)[int(argv[3]) - 1]
            names = reader.fieldnames[1:reader.fieldnames.index("weight_kg")]
        args = [f"--set={p}={r[p]}" for p in names]
        args += [f"--weight={r['weight_kg']}", f"--height={r['height_cm']}",
                 f"--egfr={r['egfr']}", f"--age={r['age_years']}", f"--dose={r['dose_cells']}"]
        print("\n".join(args))
        return
    else:
        sys.exit(__doc__)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(PARAMETERS + COVARIATES)
        w.writerows(rows)


if __name__ == "__main__":
    main(sys.argv)
