"""Writes fixtures/golden/cross_entropy_label_smoothing.safetensors: PyTorch's F.cross_entropy in float64 with
label_smoothing 0.1 and 0.25 and ignore_index -1 (mean over the counted rows), its gradient w.r.t. the logits.
Run: /usr/bin/python3 make_cross_entropy_golden.py ../fixtures/golden"""
import json, struct, sys
import torch
import torch.nn.functional as F

torch.manual_seed(20)
N, V = 7, 6
logits32 = (torch.randn(N, V) * 2).float()
targets = torch.tensor([0, 3, -1, 5, 2, -1, 4], dtype=torch.int64)
tensors = {"logits": logits32, "targets": targets}
for eps, name in [(0.0, "0"), (0.1, "0.1"), (0.25, "0.25")]:
    z = logits32.double().clone().requires_grad_(True)
    loss = F.cross_entropy(z, targets, ignore_index=-1, label_smoothing=eps)
    loss.backward()
    tensors[f"loss_{name}"] = loss.detach().reshape(1)
    tensors[f"grad_{name}"] = z.grad.detach()

header, blobs, offset = {"__metadata__": {"kind": "cross_entropy", "N": str(N), "V": str(V), "smoothings": "0,0.1,0.25"}}, [], 0
for key, t in tensors.items():
    dtype = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}[t.dtype]
    data = t.contiguous().numpy().tobytes()
    header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open(f"{sys.argv[1]}/cross_entropy_label_smoothing.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
