#!/usr/bin/python3
"""Writes the committed fixtures of the checkpoint importer (test/fixtures/import/).

Uses Debian's PyTorch (python3-torch 1.13, python3-torchvision, python3-onnx) so that every reference
number comes from PyTorch itself; the TypeScript tests then need no Python. For each model it writes the
checkpoint in each format plus `<model>.reference.json`: fixed inputs (NCHW), the logits PyTorch computes,
and the input gradient of one class score (d sum_batch logits[:, class] / d input).

Run from the repository root:  /usr/bin/python3 scripts/make-import-fixtures.py
The output is deterministic for a given torch version (seeded), except resnet18-narrow.legacy.pt, whose
storage keys are memory addresses (torch's legacy format); re-running rewrites every fixture.
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import onnx
import onnx.helper as oh
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'import')
MARKER = '/tmp/bias-audit-pickle-was-executed'  # the malicious pickles would create this file if run


class NarrowResNet(ResNet):
    """torchvision's ResNet with narrow widths: same module names, blocks, strides and forward()."""

    def __init__(self, block, layers, widths, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)


class TinyCnn(nn.Module):
    """Exercises every ONNX operator the importer maps, including a flatten of a conv feature map."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 6, 3, stride=2, padding=(0, 1), bias=False)
        self.depthwise = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.scale = nn.Parameter(torch.randn(1, 12, 1, 1))
        self.shift = nn.Parameter(torch.randn(12, 1, 1))
        self.bn2 = nn.BatchNorm2d(12)
        self.pool = nn.MaxPool2d(3, 2, padding=1, ceil_mode=True)
        self.avg = nn.AvgPool2d(3, 1, padding=1)
        self.fc1 = nn.Linear(12 * 5 * 6, 10)
        self.fc2 = nn.Linear(10, 5, bias=False)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.bn1(x)                       # BatchNormalization after Relu: not fused into the conv
        y = self.conv2(x)                     # asymmetric padding, stride 2, no bias
        y = y + y * torch.sigmoid(y)          # Sigmoid, Mul, Add of two graph values
        z = F.relu6(self.depthwise(y))        # grouped (depthwise) Conv, Clip(0, 6)
        x = torch.cat([y, z], 1)              # Concat on channels
        x = x * self.scale + self.shift       # Mul and Add with initialisers (NCHW broadcasting)
        x = self.bn2(x)                       # may be negative: max pooling must pad with -inf
        x = self.pool(x)                      # MaxPool with pads and ceil_mode
        x = F.pad(x, (1, 0, 0, 1))            # Pad, asymmetric
        x = self.avg(x)                       # AveragePool with count_include_pad
        x = x.reshape(x.shape[0], -1)         # Shape/Gather/Unsqueeze/Concat/Reshape of a conv map
        x = torch.clamp(self.fc1(x), -0.5, 2.0)  # Gemm, Clip
        return self.fc2(x)                    # MatMul


def randomise_batchnorm(model, generator):
    """Fresh BatchNorm layers are an identity in eval mode; random statistics make the test meaningful."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            c = module.num_features
            module.weight.data = 0.5 + torch.rand(c, generator=generator)
            module.bias.data = 0.2 * torch.randn(c, generator=generator)
            module.running_mean.data = 0.2 * torch.randn(c, generator=generator)
            module.running_var.data = 0.5 + torch.rand(c, generator=generator)
            module.num_batches_tracked.data = torch.tensor(7)


def as_json_tensor(t):
    array = t.detach().cpu().numpy().astype(np.float32)
    return {'shape': list(array.shape), 'data': [float('%.9g' % v) for v in array.ravel()]}


def write_reference(name, model, inputs, class_index, note):
    x = inputs.clone().requires_grad_(True)
    logits = model(x)
    logits[:, class_index].sum().backward()
    reference = {
        'note': note,
        'torch': torch.__version__,
        'input': as_json_tensor(inputs),
        'logits': as_json_tensor(logits),
        'gradient': {'classIndex': class_index, 'score': 'logit', **as_json_tensor(x.grad)},
    }
    write_text(f'{name}.reference.json', json.dumps(reference) + '\n')


def write_bytes(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def write_text(name, text):
    with open(os.path.join(OUT, name), 'w') as f:
        f.write(text)


SAFETENSORS_DTYPES = {
    torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
    torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
    torch.bool: 'BOOL',
}


def safetensors_bytes(tensors, metadata=None):
    """The safetensors layout, written by hand (the `safetensors` package is not in Debian):
    8-byte little-endian header length, JSON header, then the tensors' bytes back to back."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, tensor in tensors.items():
        t = tensor.detach().contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {'dtype': SAFETENSORS_DTYPES[t.dtype], 'shape': list(t.shape),
                        'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)  # the reference writer pads the header to 8 bytes with spaces
    return struct.pack('<Q', len(text)) + text + b''.join(chunks)


def torch_save_bytes(obj, legacy=False):
    f = io.BytesIO()
    torch.save(obj, f, _use_new_zipfile_serialization=not legacy)
    return f.getvalue()


def onnx_bytes(model, inputs):
    f = io.BytesIO()
    torch.onnx.export(model, inputs, f, opset_version=13, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    return f.getvalue()


def make_resnet18_narrow():
    generator = torch.Generator().manual_seed(18)
    torch.manual_seed(18)
    model = NarrowResNet(BasicBlock, [2, 2, 2, 2], [4, 8, 16, 32], num_classes=7)
    randomise_batchnorm(model, generator)
    model.eval()
    inputs = torch.randn(2, 3, 29, 35, generator=generator)
    state = model.state_dict()
    write_bytes('resnet18-narrow.pt', torch_save_bytes(state))
    write_bytes('resnet18-narrow.legacy.pt', torch_save_bytes(state, legacy=True))
    write_bytes('resnet18-narrow.safetensors',
                safetensors_bytes(state, {'format': 'pt', 'note': 'narrow torchvision ResNet-18'}))
    write_bytes('resnet18-narrow.onnx', onnx_bytes(model, inputs))
    write_reference('resnet18-narrow', model, inputs, 3,
                    'torchvision ResNet(BasicBlock, [2,2,2,2]) with widths 4,8,16,32 and 7 classes')


def make_bottleneck_narrow():
    generator = torch.Generator().manual_seed(50)
    torch.manual_seed(50)
    model = NarrowResNet(Bottleneck, [3, 4, 6, 3], [4, 8, 8, 8], num_classes=5)
    randomise_batchnorm(model, generator)
    model.eval()
    inputs = torch.randn(2, 3, 33, 30, generator=generator)
    # A training-script checkpoint: a wrapper dict around a DataParallel ("module."-prefixed) state dict.
    wrapped = {'epoch': 3, 'arch': 'resnet50', 'best_acc1': 0.25,
               'state_dict': {f'module.{k}': v for k, v in model.state_dict().items()}}
    write_bytes('resnet50-narrow.pth', torch_save_bytes(wrapped))
    write_reference('resnet50-narrow', model, inputs, 2,
                    'torchvision ResNet(Bottleneck, [3,4,6,3]) with widths 4,8,8,8 and 5 classes, '
                    'saved as {"state_dict": {"module.*": ...}} like a DataParallel training script')


def make_tiny_cnn():
    generator = torch.Generator().manual_seed(7)
    torch.manual_seed(7)
    model = TinyCnn()
    randomise_batchnorm(model, generator)
    model.eval()
    inputs = torch.randn(2, 3, 13, 17, generator=generator)
    exported = onnx_bytes(model, inputs)
    write_bytes('tiny-cnn.onnx', exported)
    # The same graph with its initialisers stored as float_data instead of raw_data (both are allowed).
    proto = onnx.load_from_string(exported)
    for tensor in proto.graph.initializer:
        if tensor.data_type == onnx.TensorProto.FLOAT and tensor.raw_data:
            values = np.frombuffer(tensor.raw_data, dtype='<f4')
            tensor.ClearField('raw_data')
            tensor.float_data.extend(values.tolist())
    write_bytes('tiny-cnn.float-data.onnx', proto.SerializeToString())
    write_reference('tiny-cnn', model, inputs, 4, 'TinyCnn in scripts/make-import-fixtures.py, ONNX opset 13')


def make_matmul_add_softmax():
    """A graph written with onnx.helper the way non-PyTorch exporters write classifiers: MatMul + Add (bias)
    + Softmax, and a Constant node. The reference is the same computation with the same weights in torch."""
    generator = torch.Generator().manual_seed(11)
    conv_w = torch.randn(6, 3, 1, 1, generator=generator)
    dense_w = torch.randn(6, 4, generator=generator)
    dense_b = torch.randn(4, generator=generator)
    scale = torch.tensor(1.5)

    class Reference(nn.Module):
        def forward(self, x):
            h = F.relu(F.conv2d(x, conv_w)) * scale
            return torch.softmax(h.mean(dim=(2, 3)) @ dense_w + dense_b, dim=1)

    def initializer(name, t):
        return oh.make_tensor(name, onnx.TensorProto.FLOAT, list(t.shape), t.numpy().ravel().tolist())

    scale_node = oh.make_node('Constant', [], ['scale'], value=oh.make_tensor('scale_value', onnx.TensorProto.FLOAT, [], [1.5]))
    graph = oh.make_graph(
        [oh.make_node('Conv', ['input', 'conv_w'], ['c'], kernel_shape=[1, 1], name='conv'),
         oh.make_node('Relu', ['c'], ['r'], name='relu'),
         scale_node,
         oh.make_node('Mul', ['r', 'scale'], ['s'], name='scale_mul'),
         oh.make_node('GlobalAveragePool', ['s'], ['g'], name='pool'),
         oh.make_node('Flatten', ['g'], ['f'], name='flatten'),
         oh.make_node('MatMul', ['f', 'dense_w'], ['m'], name='dense'),
         oh.make_node('Add', ['m', 'dense_b'], ['a'], name='bias'),
         oh.make_node('Softmax', ['a'], ['probabilities'], axis=1, name='softmax')],
        'matmul_add_softmax',
        [oh.make_tensor_value_info('input', onnx.TensorProto.FLOAT, ['batch', 3, 5, 6])],
        [oh.make_tensor_value_info('probabilities', onnx.TensorProto.FLOAT, ['batch', 4])],
        [initializer('conv_w', conv_w), initializer('dense_w', dense_w), initializer('dense_b', dense_b)])
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid('', 13)])
    onnx.checker.check_model(model)
    write_bytes('matmul-add-softmax.onnx', model.SerializeToString())
    inputs = torch.randn(2, 3, 5, 6, generator=generator)
    write_reference('matmul-add-softmax', Reference(), inputs, 1,
                    'onnx.helper graph Conv-Relu-Mul(Constant)-GlobalAveragePool-Flatten-MatMul-Add-Softmax; '
                    'the reference is the same computation in torch (outputs are probabilities)')


def make_views():
    """Tensors that are views (transposed, offset, sharing one storage) and non-float32 storages."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8
    tensors = {
        'transposed': base.t(),                      # strides (1, 6)
        'offset_row': base[2],                       # storage offset 12
        'strided_columns': base[:, ::2],             # strides (6, 2)
        'half': torch.tensor([0.5, -1.25, 1024.0]).half(),
        'bfloat': torch.tensor([3.0, -0.375]).bfloat16(),
        'double': torch.tensor([[1.0 / 3.0]], dtype=torch.float64),
        'long': torch.tensor([-5, 7, 2 ** 31]),
        'flag': torch.tensor([True, False]),
        'scalar': torch.tensor(2.5),
    }
    write_bytes('views.pt', torch_save_bytes(tensors))
    expected = {name: {'shape': list(t.shape), 'values': [float(v) for v in t.float().contiguous().numpy().ravel()]}
                for name, t in tensors.items()}
    write_text('views.expected.json', json.dumps(expected, indent=1) + '\n')


def make_dtypes():
    """One tensor per safetensors dtype, with the float32 values PyTorch converts them to."""
    values = torch.tensor([0.0, 1.0, -2.5, 3.14159, 65504.0, 1e-3, -0.0078125, 100.0])
    tensors = {
        'f64': values.double(), 'f32': values.float(), 'f16': values.half(), 'bf16': values.bfloat16(),
        'i64': torch.tensor([[0, -1], [2, -(2 ** 40)]], dtype=torch.int64),
        'i32': torch.tensor([7, -2147483648, 2147483647], dtype=torch.int32),
        'i16': torch.tensor([-32768, 5, 32767], dtype=torch.int16),
        'i8': torch.tensor([-128, -1, 127], dtype=torch.int8),
        'u8': torch.tensor([0, 1, 255], dtype=torch.uint8),
        'bool': torch.tensor([True, False, True]),
        'scalar': torch.tensor(42.5),
    }
    write_bytes('dtypes.safetensors', safetensors_bytes(tensors))
    expected = {name: {'dtype': SAFETENSORS_DTYPES[t.dtype], 'shape': list(t.shape),
                       'float32': [float(v) for v in t.float().numpy().ravel()]}
                for name, t in tensors.items()}
    write_text('dtypes.expected.json', json.dumps(expected, indent=1) + '\n')


class CallsOnLoad:
    """A pickle that would call `function(argument)` when Python unpickles it."""

    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return (self.function, (self.argument,))


def make_bad_inputs():
    import subprocess
    payload = f'touch {MARKER}'
    # torch.save of a dict whose value runs os.system on load (pickled as posix.system on Linux).
    write_bytes('malicious-os-system.pt', torch_save_bytes({'conv1.weight': torch.zeros(1),
                                                            'x': CallsOnLoad(os.system, payload)}))
    # subprocess.check_call inside the zip format.
    write_bytes('malicious-subprocess.pt',
                torch_save_bytes({'fc.weight': CallsOnLoad(subprocess.check_call, ['touch', MARKER])}))
    # A bare pickle (the legacy, non-zip layout) calling builtins.eval.
    write_bytes('malicious-eval.pt',
                pickle.dumps(CallsOnLoad(eval, f"__import__('os').system('{payload}')"), protocol=2))
    # A whole pickled nn.Module instead of its state dict.
    torch.manual_seed(1)
    write_bytes('whole-module.pt', torch_save_bytes(nn.Sequential(nn.Conv2d(3, 2, 1), nn.Flatten())))

    # ONNX with an operator the importer does not map (Einsum).
    weight = oh.make_tensor('w', onnx.TensorProto.FLOAT, [2, 3, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    graph = oh.make_graph(
        [oh.make_node('Conv', ['input', 'w'], ['c'], kernel_shape=[1, 1]),
         oh.make_node('Einsum', ['c'], ['logits'], equation='nchw->nc')],
        'unsupported', [oh.make_tensor_value_info('input', onnx.TensorProto.FLOAT, ['batch', 3, 4, 4])],
        [oh.make_tensor_value_info('logits', onnx.TensorProto.FLOAT, ['batch', 2])], [weight])
    write_bytes('unsupported-op.onnx', oh.make_model(graph, opset_imports=[oh.make_opsetid('', 13)])
                .SerializeToString())

    # ONNX whose weights live in an external file (not supported: a single self-contained file is needed).
    external = onnx.TensorProto()
    external.name = 'w'
    external.data_type = onnx.TensorProto.FLOAT
    external.dims.extend([2, 3, 1, 1])
    external.data_location = onnx.TensorProto.EXTERNAL
    entry = external.external_data.add()
    entry.key, entry.value = 'location', 'weights.bin'
    graph = oh.make_graph(
        [oh.make_node('Conv', ['input', 'w'], ['c'], kernel_shape=[1, 1]),
         oh.make_node('GlobalAveragePool', ['c'], ['g']), oh.make_node('Flatten', ['g'], ['logits'])],
        'external', [oh.make_tensor_value_info('input', onnx.TensorProto.FLOAT, ['batch', 3, 4, 4])],
        [oh.make_tensor_value_info('logits', onnx.TensorProto.FLOAT, ['batch', 2])], [external])
    write_bytes('external-data.onnx', oh.make_model(graph, opset_imports=[oh.make_opsetid('', 13)])
                .SerializeToString())


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    make_resnet18_narrow()
    make_bottleneck_narrow()
    make_tiny_cnn()
    make_matmul_add_softmax()
    make_views()
    make_dtypes()
    make_bad_inputs()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f'wrote {len(os.listdir(OUT))} files, {total / 1e6:.2f} MB, to {os.path.normpath(OUT)}', file=sys.stderr)


if __name__ == '__main__':
    main()
