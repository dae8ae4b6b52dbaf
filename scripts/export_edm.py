#!/usr/bin/env python3
"""Exports an EDM network pickle (NVlabs/edm, e.g. edm-cifar10-32x32-uncond-vp.pkl)
for geotraj: the EMA network's weights as network.safetensors and its
preconditioning class with the keyword arguments EDM recorded
(network.json). Run where EDM's code and PyTorch are installed:

    python scripts/export_edm.py --edm /path/to/edm \\
        --pkl edm-cifar10-32x32-uncond-vp.pkl --out models/edm/cifar10-uncond-vp

then name OUT/network.safetensors in an experiment's [pretrained] table
(architecture = "edm"). Nothing here is needed by geotraj itself.
"""

import argparse
import json
import pickle
import sys
from pathlib import Path


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--edm", required=True, help="a checkout of NVlabs/edm (its dnnlib and torch_utils unpickle the network)")
    p.add_argument("--pkl", required=True, help="the network pickle, a path or URL as EDM's generate.py takes")
    p.add_argument("--out", required=True, help="the folder to write network.safetensors and network.json into")
    args = p.parse_args()
    sys.path.insert(0, args.edm)
    import dnnlib
    from safetensors.torch import save_file

    with dnnlib.util.open_url(args.pkl) as f:
        net = pickle.load(f)["ema"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().contiguous() for k, v in net.state_dict().items()}
    save_file(state, out / "network.safetensors")
    meta = {"class_name": type(net).__name__, "init_kwargs": net.init_kwargs, "source": str(args.pkl)}
    (out / "network.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"{type(net).__name__} ({net.init_kwargs.get('model_type')}): "
          f"{sum(t.numel() for t in state.values())} values -> {out}")


if __name__ == "__main__":
    main()
