# Writes the golden seed latents checked bit for bit by the tests: /usr/bin/python3 make-golden-latents.py golden-latents.json
import json, numpy as np, sys
seeds = [0, 1, 2, 3, 7, 42, 123, 1000, 65535, 65536, 123456789, 2147483647, 2147483648, 3141592653, 4294967294, 4294967295]
out = {"generator": "numpy.random.RandomState(seed).standard_normal(100).astype(numpy.float32)",
       "numpy": np.__version__, "latentDim": 100, "vectors": []}
for s in seeds:
    v = np.random.RandomState(s).standard_normal(100).astype(np.float32)
    out["vectors"].append({"seed": s, "bits": [int(x) for x in v.view(np.uint32)], "values": [float(x) for x in v]})
with open(sys.argv[1], "w") as f:
    vectors = out.pop("vectors")
    f.write(json.dumps(out)[:-1] + ', "vectors": [\n')
    f.write(",\n".join(json.dumps(v) for v in vectors))
    f.write("\n]}\n")
