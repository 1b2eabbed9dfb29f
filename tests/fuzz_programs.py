"""A Hypothesis grammar of loss-related PyTorch code, for fuzzing seglint (tests/test_fuzz_*.py).

``programs()`` draws a small project: ``main.py`` defines ``compute(logits, target)`` returning a loss,
and ``parts.py`` (when drawn) holds models, helpers, trainers and losses that ``main`` imports. Every
program runs: ``logits`` is ``(N, C, H, W)`` floating point, ``target`` ``(N, H, W)`` class indices.

What is drawn: torch names in every import style (``import torch``, ``import torch.nn.functional as
F``, ``from torch.nn.functional import softmax as ...``, ``from torch import nn``, ...), softmax /
log_softmax / sigmoid / one_hot producers as functions, methods and ``nn`` layers, loss functions and
loss objects, assignments, branches, loops, tuples and dicts stored and read, classes whose ``forward``
returns a tensor, a tuple or a dict, helpers taking models and losses as parameters, constructors
storing them, and definitions placed in the other module, imported by name or through the module.
Programs are built by construction (no ``assume``), so they shrink well.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

NUM_CLASSES = 3
_FUNCTIONAL = ("softmax", "log_softmax", "cross_entropy", "nll_loss", "one_hot")
_MODULES = ("CrossEntropyLoss", "NLLLoss", "Softmax", "LogSoftmax", "Module")


@dataclass(frozen=True)
class Program:
    """The modules of a drawn project, by file name; ``main.py`` defines ``compute(logits, target)``."""

    modules: tuple[tuple[str, str], ...]

    @property
    def files(self) -> dict[str, str]:
        return dict(self.modules)


@dataclass
class _Module:
    name: str
    imports: set[str] = field(default_factory=set)
    definitions: list[str] = field(default_factory=list)


class _Writer:
    """Draws code into ``main`` and ``parts``, each with the imports its names need."""

    def __init__(self, draw: st.DrawFn, producers: tuple[str, ...], nll: bool) -> None:
        self.draw = draw
        self.producers = producers
        self.loss_functions = ("cross_entropy", "nll_loss") if nll else ("cross_entropy",)
        self.loss_classes = ("CrossEntropyLoss", "NLLLoss") if nll else ("CrossEntropyLoss",)
        self.main = _Module("main")
        self.parts = _Module("parts")
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # ----------------------------------------------------------------- names, in every import style
    def torch_name(self, module: _Module, what: str) -> str:
        if what in _FUNCTIONAL:
            styles = [
                ("import torch.nn.functional as F", f"F.{what}"),
                ("import torch", f"torch.nn.functional.{what}"),
                ("import torch.nn.functional", f"torch.nn.functional.{what}"),
                ("from torch.nn import functional as Fn", f"Fn.{what}"),
                (f"from torch.nn.functional import {what}", what),
                (f"from torch.nn.functional import {what} as {what}_", f"{what}_"),
            ]
            if what in ("softmax", "log_softmax"):
                styles.append(("import torch", f"torch.{what}"))
        else:
            styles = [
                ("from torch import nn", f"nn.{what}"),
                ("import torch.nn as nn", f"nn.{what}"),
                ("import torch", f"torch.nn.{what}"),
                (f"from torch.nn import {what}", what),
                ("import torch.nn as tnn", f"tnn.{what}"),
            ]
        line, expression = self.draw(st.sampled_from(styles))
        module.imports.add(line)
        return expression

    def define(self, text: str, name: str) -> str:
        """Place a definition of ``name`` in ``main`` or ``parts``; the expression ``main`` uses for it."""
        if not self.draw(st.booleans()):
            self.main.definitions.append(text)
            return name
        self.parts.definitions.append(text)
        style = self.draw(st.sampled_from(["from", "alias", "module"]))
        if style == "from":
            self.main.imports.add(f"from parts import {name}")
            return name
        if style == "alias":
            self.main.imports.add(f"from parts import {name} as {name}_imported")
            return f"{name}_imported"
        self.main.imports.add("import parts")
        return f"parts.{name}"

    # ----------------------------------------------------------------- tensors
    def tensor(self, module: _Module, names: list[str], depth: int, *, target: bool) -> str:
        """A floating-point ``(N, C, H, W)`` tensor made from ``names``."""
        choices = ["name", "name", *self.producers, "arithmetic", "layer"]
        if depth > 0:
            choices += ["model", "helper", "tuple", "dict"]
        if target:
            choices.append("one_hot")
        choice = self.draw(st.sampled_from(choices))
        if choice == "name" or depth < 0:
            return self.draw(st.sampled_from(names))
        inner = self.tensor(module, names, depth - 1, target=target)
        if choice in ("softmax", "log_softmax", "sigmoid"):
            return self.produced(module, choice, inner)
        if choice == "arithmetic":
            template = self.draw(
                st.sampled_from(["({} * 2.0)", "({} + 0.5)", "({}).clone()", "({}).detach()"])
            )
            return template.format(inner)
        if choice == "layer":
            layer = self.draw(st.sampled_from(["Softmax", "LogSoftmax"]))
            return f"{self.torch_name(module, layer)}(dim=1)({inner})"
        if choice == "one_hot":
            one_hot = self.torch_name(module, "one_hot")
            return f"{one_hot}(target, {NUM_CLASSES}).permute(0, 3, 1, 2).float()"
        if module is not self.main:
            return inner  # models and helpers are called from main only
        if choice == "model":
            return self.model_output(inner, depth - 1)
        if choice == "helper":
            return f"{self.helper(depth - 1)}({inner})"
        first = self.tensor(module, names, depth - 1, target=target)
        if choice == "tuple":
            index = self.draw(st.integers(0, 1))
            return f"({first}, {inner})[{index}]"
        key = self.draw(st.sampled_from(["seg", "aux"]))
        return f'{{"seg": {first}, "aux": {inner}}}["{key}"]'

    def produced(self, module: _Module, producer: str, inner: str) -> str:
        """``inner`` through ``producer`` (softmax, log_softmax or sigmoid), in one of its spellings."""
        if producer == "sigmoid":
            module.imports.add("import torch")
            return f"torch.sigmoid({inner})"
        form = self.draw(st.sampled_from(["dim=1", "1", "method", "method_dim", "dim=-3"]))
        if form == "method":
            return f"({inner}).{producer}(1)"
        if form == "method_dim":
            return f"({inner}).{producer}(dim=1)"
        return f"{self.torch_name(module, producer)}({inner}, {form})"

    def model_class(self, depth: int) -> tuple[str, str]:
        """A model class; returns (the expression naming it, what its forward returns: tensor/tuple/dict)."""
        name = self.fresh("Net")
        module = self.parts if self.draw(st.booleans()) else self.main
        base = self.torch_name(module, "Module")
        layer = self.draw(st.booleans())
        init = "        super().__init__()\n"
        names = ["x"]
        if layer:
            kind = self.draw(st.sampled_from(["Softmax", "LogSoftmax"]))
            init += f"        self.act = {self.torch_name(module, kind)}(dim=1)\n"
        body = self.tensor(module, names, depth, target=False)
        if layer:
            body = self.draw(st.sampled_from([f"self.act({body})", body]))
        shape = self.draw(st.sampled_from(["tensor", "tuple", "dict"]))
        returned = {"tensor": body, "tuple": f"({body}, x)", "dict": f'{{"out": {body}, "x": x}}'}[shape]
        text = (
            f"class {name}({base}):\n    def __init__(self):\n{init}\n"
            f"    def forward(self, x):\n        out = {returned}\n        return out\n"
        )
        if module is self.main:
            self.main.definitions.append(text)
            return name, shape
        self.parts.definitions.append(text)
        self.main.imports.add(f"from parts import {name}")
        return name, shape

    def model_output(self, inner: str, depth: int) -> str:
        cls, shape = self.model_class(depth)
        call = f"{cls}()({inner})"
        return {"tensor": call, "tuple": f"{call}[0]", "dict": f'{call}["out"]'}[shape]

    def helper(self, depth: int) -> str:
        name = self.fresh("helper")
        in_parts = self.draw(st.booleans())
        module = self.parts if in_parts else self.main
        steps = []
        names = ["x"]
        for _ in range(self.draw(st.integers(0, 2))):
            variable = self.fresh("h")
            steps.append(f"    {variable} = {self.tensor(module, names, depth, target=False)}\n")
            names.append(variable)
        text = (
            f"def {name}(x):\n{''.join(steps)}    return {self.tensor(module, names, depth, target=False)}\n"
        )
        if not in_parts:
            self.main.definitions.append(text)
            return name
        self.parts.definitions.append(text)
        self.main.imports.add(f"from parts import {name}")
        return name

    # ----------------------------------------------------------------- losses
    def loss_object(self, module: _Module) -> str:
        kind = self.draw(st.sampled_from(self.loss_classes))
        reduction = self.draw(st.sampled_from(["", 'reduction="sum"']))
        return f"{self.torch_name(module, kind)}({reduction})"

    def loss(self, tensor: str) -> str:
        """A scalar loss of ``tensor`` and ``target``, written in ``compute``."""
        choice = self.draw(
            st.sampled_from(["function", "function", "object", "global", "step", "trainer", "model_step"])
        )
        if choice == "function":
            function = self.draw(st.sampled_from(self.loss_functions))
            return f"{self.torch_name(self.main, function)}({tensor}, target)"
        if choice == "object":
            return f"{self.loss_object(self.main)}({tensor}, target)"
        if choice == "global":
            name = self.fresh("CRITERION")
            in_parts = self.draw(st.booleans())
            module = self.parts if in_parts else self.main
            module.definitions.append(f"{name} = {self.loss_object(module)}\n")
            if in_parts:
                self.main.imports.add(f"from parts import {name}")
            return f"{name}({tensor}, target)"
        if choice == "step":
            name = self.fresh("step")
            text = f"def {name}(criterion, x, y):\n    return criterion(x, y)\n"
            placed = self.define(text, name)
            return f"{placed}({self.loss_object(self.main)}, {tensor}, target)"
        if choice == "model_step":
            name = self.fresh("run_model")
            text = f"def {name}(model, criterion, x, y):\n    return criterion(model(x), y)\n"
            placed = self.define(text, name)
            cls, shape = self.model_class(0)
            if shape != "tensor":
                return f"{self.torch_name(self.main, 'cross_entropy')}({tensor}, target)"
            return f"{placed}({cls}(), {self.loss_object(self.main)}, {tensor}, target)"
        name = self.fresh("Trainer")
        text = (
            f"class {name}:\n    def __init__(self, model, criterion):\n"
            "        self.model = model\n        self.criterion = criterion\n\n"
            "    def step(self, x, y):\n        return self.criterion(self.model(x), y)\n"
        )
        placed = self.define(text, name)
        cls, shape = self.model_class(0)
        if shape != "tensor":
            return f"{self.torch_name(self.main, 'cross_entropy')}({tensor}, target)"
        return f"{placed}({cls}(), {self.loss_object(self.main)}).step({tensor}, target)"

    # ----------------------------------------------------------------- the body of compute
    def body(self, depth: int) -> list[str]:
        lines: list[str] = []
        names = ["logits"]
        for _ in range(self.draw(st.integers(0, 4))):
            statement = self.draw(st.sampled_from(["assign", "branch", "loop", "unpack", "dict", "tuple"]))
            variable = self.fresh("v")
            value = self.tensor(self.main, names, depth, target=True)
            if statement == "assign":
                lines.append(f"{variable} = {value}")
            elif statement == "branch":
                other = self.tensor(self.main, names, depth, target=True)
                test = self.draw(st.sampled_from(["logits.dim() == 4", "target.numel() > 0", "True"]))
                lines += [f"if {test}:", f"    {variable} = {value}", "else:", f"    {variable} = {other}"]
            elif statement == "loop":
                again = self.tensor(self.main, [*names, variable], depth, target=True)
                lines += [f"{variable} = {value}", "for _ in range(2):", f"    {variable} = {again}"]
            elif statement == "unpack":
                other = self.tensor(self.main, names, depth, target=True)
                spare = self.fresh("v")
                lines.append(f"{variable}, {spare} = {value}, {other}")
                names.append(spare)
            elif statement == "dict":
                holder = self.fresh("d")
                key = self.draw(st.sampled_from(["seg", "aux"]))
                other = self.tensor(self.main, names, depth, target=True)
                lines += [f'{holder} = {{"seg": {value}, "aux": {other}}}', f'{variable} = {holder}["{key}"]']
            else:
                holder = self.fresh("t")
                other = self.tensor(self.main, names, depth, target=True)
                index = self.draw(st.integers(0, 1))
                lines += [f"{holder} = ({value}, {other})", f"{variable} = {holder}[{index}]"]
            names.append(variable)
        losses = []
        for _ in range(self.draw(st.integers(1, 2))):
            tensor = self.tensor(self.main, names, depth, target=True)
            if self.draw(st.booleans()):  # a producer written in the loss call itself
                tensor = self.produced(self.main, self.draw(st.sampled_from(self.producers)), tensor)
            losses.append(self.loss(tensor))
        lines.append(f"return {' + '.join(losses)}")
        return lines


def _render(module: _Module, extra: str = "") -> str:
    imports = "".join(f"{line}\n" for line in sorted(module.imports))
    definitions = "\n\n".join(module.definitions)
    parts = [part for part in (imports, definitions, extra) if part]
    return "\n\n".join(parts)


@st.composite
def programs(
    draw: st.DrawFn,
    *,
    max_depth: int = 2,
    producers: tuple[str, ...] = ("softmax", "log_softmax", "sigmoid"),
    nll: bool = True,
) -> Program:
    """Projects of one or two modules whose ``main.compute(logits, target)`` returns a loss.

    ``max_depth`` (default 2) bounds how deeply tensor expressions nest; ``producers`` (default
    softmax, log_softmax, sigmoid; repeat one to favour it) are the calls drawn around a tensor;
    ``nll`` (default ``True``) draws ``nll_loss`` / ``NLLLoss`` besides cross-entropy.

    >>> programs(producers=("log_softmax",)).example().files["main.py"]  # doctest: +SKIP
    """
    writer = _Writer(draw, producers, nll)
    depth = draw(st.integers(0, max_depth))
    body = writer.body(depth)
    compute = "def compute(logits, target):\n" + "".join(f"    {line}\n" for line in body)
    modules = [("main.py", _render(writer.main, compute))]
    if writer.parts.definitions:
        modules.append(("parts.py", _render(writer.parts)))
    return Program(tuple(modules))
