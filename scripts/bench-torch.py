#!/usr/bin/env python3
"""PyTorch CPU reference for the native backend's benchmark (src/engine/backend/bench-native.ts).

Builds the same networks as src/engine/model/builders (small ResNet: width 8, stages 8-16-32 of one basic
block; ResNet-18 in CIFAR form: 3x3 stem, stages 64-128-256-512 of two basic blocks; BatchNorm after every
convolution, convolutions without bias, global average pooling and a linear classifier) and times the
three workloads the TypeScript side times:
  train           SGD-with-momentum step on softmax cross-entropy, model in training mode
  infer           forward pass in eval mode without autograd
  input-gradient  gradient of one class logit (summed over the batch) with respect to the input, eval mode,
                  parameters frozen (what strong-stimulus generation needs)
Prints one JSON object on stdout: {"torch": version, "threads": n, "rows": [...]}, each row with the median
milliseconds per step and the mean CPU milliseconds per step (all threads).
With --serve it instead runs steps on request, for timing interleaved with the TypeScript side: each stdin
line {"model", "work", "format", "steps"} gets one stdout line {"times": [ms per step], "cpuMs": total}. Debian's python3-torch (PyTorch 1.13, oneDNN 2.6) is what it was written against.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class ResNet(nn.Module):
    def __init__(self, widths, blocks, strides, classes, in_channels=3):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(widths[0], eps=1e-5, momentum=0.1)
        layers, cin = [], widths[0]
        for width, count, stride in zip(widths, blocks, strides):
            for b in range(count):
                layers.append(BasicBlock(cin, width, stride if b == 0 else 1))
                cin = width
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        x = self.stages(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(name, classes):
    if name == 'small_resnet':
        return ResNet([8, 16, 32], [1, 1, 1], [1, 2, 2], classes)
    if name == 'resnet18':
        return ResNet([64, 128, 256, 512], [2, 2, 2, 2], [1, 2, 2, 2], classes)
    raise SystemExit(f'unknown model {name}')


def step_ms(step, sync):
    """Wall-clock milliseconds of one step, finished on the device."""
    t0 = time.perf_counter()
    step()
    sync()
    return (time.perf_counter() - t0) * 1000


def timed(step, warmup, min_steps, max_steps, min_seconds, sync=lambda: None):
    for _ in range(warmup):
        step()
    sync()
    times, started = [], time.perf_counter()
    cpu_before = cpu_seconds()
    while len(times) < max_steps and (len(times) < min_steps or time.perf_counter() - started < min_seconds):
        times.append(step_ms(step, sync))
    cpu_ms = (cpu_seconds() - cpu_before) * 1000 / len(times)
    return statistics.median(times), len(times), cpu_ms


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def workload(model, work, batch, size, classes, channels_last, device='cpu'):
    torch.manual_seed(1)
    model = model.to(device)
    x = torch.randn(batch, 3, size, size, device=device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if work == 'train':
        model.train()
        labels = torch.randint(0, classes, (batch,), device=device)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), labels).backward()
            optimizer.step()
        return step
    model.eval()
    if work == 'infer':
        def step():
            with torch.no_grad():
                model(x)
        return step
    for p in model.parameters():
        p.requires_grad_(False)

    def step():
        inp = x.detach().requires_grad_(True)
        torch.autograd.grad(model(inp)[:, 3].sum(), inp)
    return step


def serve(args, sync):
    """Answers step requests until stdin closes; keeps the current model's workloads (one per memory format,
    each warmed up once) until a request names another model or work."""
    steps_by_format, current = {}, None
    for line in sys.stdin:
        request = json.loads(line)
        if (request['model'], request['work']) != current:
            steps_by_format, current = {}, (request['model'], request['work'])
        fmt = request['format']
        if fmt not in steps_by_format:
            batch = args.gradient_batch if request['work'] == 'input-gradient' else args.batch
            steps_by_format[fmt] = workload(build(request['model'], args.classes), request['work'], batch, args.size, args.classes,
                                            fmt == 'channels_last', args.device)
            for _ in range(args.warmup):
                steps_by_format[fmt]()
            sync()
        step = steps_by_format[fmt]
        cpu_before = cpu_seconds()
        times = [step_ms(step, sync) for _ in range(int(request['steps']))]
        sys.stdout.write(json.dumps({'times': times, 'cpuMs': (cpu_seconds() - cpu_before) * 1000}) + '\n')
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models', default='small_resnet,resnet18')
    parser.add_argument('--works', default='train,infer,input-gradient')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--gradient-batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument('--classes', type=int, default=10)
    parser.add_argument('--threads', type=int, default=0, help='0: torch default')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--min-steps', type=int, default=3)
    parser.add_argument('--max-steps', type=int, default=30)
    parser.add_argument('--min-seconds', type=float, default=3.0)
    parser.add_argument('--memory-format', choices=['contiguous', 'channels_last', 'best'], default='best',
                        help="'best' times both and keeps the faster, so the reference is PyTorch at its best")
    parser.add_argument('--device', default='cpu', help="'cpu' (the reference of the CPU backends) or 'cuda' (context for webgpu)")
    parser.add_argument('--serve', action='store_true', help='run steps on request from stdin (see above)')
    args = parser.parse_args()
    sync = torch.cuda.synchronize if args.device.startswith('cuda') else (lambda: None)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.serve:
        serve(args, sync)
        return
    formats = ['contiguous', 'channels_last'] if args.memory_format == 'best' else [args.memory_format]
    rows = []
    for name in args.models.split(','):
        for work in args.works.split(','):
            batch = args.gradient_batch if work == 'input-gradient' else args.batch
            best = None
            for fmt in formats:
                step = workload(build(name, args.classes), work, batch, args.size, args.classes, fmt == 'channels_last', args.device)
                ms, steps, cpu_ms = timed(step, args.warmup, args.min_steps, args.max_steps, args.min_seconds, sync)
                if best is None or ms < best[0]:
                    best = (ms, steps, fmt, cpu_ms)
            rows.append({'model': name, 'work': work, 'batchSize': batch, 'msPerStep': best[0], 'steps': best[1], 'memoryFormat': best[2],
                         'cpuMsPerStep': best[3]})
            print(f'torch {name} {work}: {best[0]:.1f} ms ({best[2]})', file=sys.stderr)
    json.dump({'torch': torch.__version__ + ('' if args.device == 'cpu' else f' on {args.device}'), 'threads': torch.get_num_threads(), 'rows': rows}, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
