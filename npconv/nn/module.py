"""The containers: :class:`Parameter`, :class:`Module` and :class:`Sequential`.

A :class:`Module` is a layer (or a whole network) with PyTorch's interface, made for reading:

- ``module(x)`` runs ``forward(x)``, which calls a public op of npconv and keeps what the
  backward will need (the input, usually);
- ``module.backward(grad_output)`` returns the gradient with respect to that input and adds
  every parameter's gradient into its ``.grad``;
- parameters and sub-modules assigned as attributes are registered in that order, which
  gives ``parameters()``, ``named_parameters()`` and ``state_dict()`` PyTorch's order and
  keys (``"0.weight"``, ``"0.bias"``, ...).

There is no autograd: the chain rule is the sequence of ``backward`` calls, in reverse,
that :class:`Sequential` makes.  A module remembers only its most recent forward.

Layers that take or give more than one array follow PyTorch's calling convention, and
``backward`` always takes and returns one array:

- ``MaxUnpool2d()(input, indices, output_size=None)`` takes the indices (and the size) as
  further arguments of the call; its ``backward(grad_output)`` returns the gradient with
  respect to ``input`` only, since integer indices and sizes have none;
- ``ConvTranspose2d()(input, output_size=None)`` takes the size to reach, which picks the
  ``output_padding`` for that call (the layer's own is set aside, as in PyTorch);
- ``MaxPool2d(..., return_indices=True)`` and ``AdaptiveMaxPool2d(...,
  return_indices=True)`` return ``(output, indices)``; their ``backward`` takes the
  gradient with respect to ``output``.

:class:`Sequential` hands one array from layer to layer, so, as in PyTorch, those layers
go in a module of your own whose ``forward`` passes the indices on and whose ``backward``
calls the layers' backwards in reverse (the example of :class:`MaxUnpool2d`).

Examples
--------
>>> import numpy as np
>>> from npconv import nn
>>> model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias']
>>> len(model), type(model[1]).__name__
(2, 'ReLU')
"""

import numpy as np

from ..api import METHODS, _as_array, _check_grad_output
from ..shapes import check_array_bytes, dimension_names, is_int, padding_pairs

__all__ = ["Parameter", "Module", "Sequential", "real_array", "check_grad_output",
           "check_input_rank", "keep", "check_method", "check_positive_int",
           "empty_parameter", "padding_per_dimension", "method_repr"]


class Parameter:
    """A learnable array and the gradient accumulated for it.

    Parameters
    ----------
    data : array_like
        The values; copied into a new ndarray (integers become float64).

    Attributes
    ----------
    data : ndarray
        The values, updated in place by the optimisers.
    grad : ndarray or None
        ``None`` until a backward adds a gradient; each backward adds to it (so several
        backwards before one step sum their gradients), and ``zero_grad`` resets it.

    Examples
    --------
    >>> p = Parameter([1., 2.])
    >>> p.accumulate_grad(np.array([0.5, 0.5]))
    >>> p.accumulate_grad(np.array([0.5, 0.5]))
    >>> p.grad
    array([1., 1.])
    """

    def __init__(self, data):
        data = np.array(data)
        if data.dtype.kind != "f":
            data = data.astype(np.float64)
        self.data = data
        self.grad = None

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def accumulate_grad(self, grad):
        """Add ``grad`` (the parameter's shape) into :attr:`grad`, in the parameter's dtype."""
        if grad.shape != self.data.shape:
            raise ValueError(f"a gradient of shape {grad.shape} cannot be added to a "
                             f"parameter of shape {self.data.shape}")
        if self.grad is None:
            self.grad = grad.astype(self.data.dtype, copy=True)
        else:
            self.grad += grad

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer, loss and network; PyTorch's ``torch.nn.Module`` interface.

    A subclass calls ``super().__init__()`` first, assigns its :class:`Parameter` and
    sub-modules as attributes (which registers them, in order), and defines ``forward`` and
    ``backward``.

    Attributes
    ----------
    training : bool
        Set by :meth:`train` and :meth:`eval`.  No layer of npconv behaves differently in the
        two modes yet; the flag is there for the API (and for layers such as dropout).

    Examples
    --------
    A layer that doubles its input, written out:

    >>> class Double(Module):
    ...     def forward(self, input):
    ...         return 2 * input
    ...     def backward(self, grad_output):
    ...         return 2 * grad_output
    >>> layer = Double()
    >>> layer(np.array([1., 2.])), layer.backward(np.array([1., 1.]))
    (array([2., 4.]), array([2., 2.]))
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ---- registration ----------------------------------------------------------------------

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call "
                                 f"super().__init__() before assigning {name!r}")
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._parameters.pop(name, None)
            self._modules[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter "
                                f"{name!r}: a Parameter or None is expected")
            self._parameters[name] = None          # e.g. bias=False: no parameter
        object.__setattr__(self, name, value)

    def add_module(self, name, module):
        """Register ``module`` under ``name`` (the attribute and the state_dict prefix)."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}, ...) needs a Module, got "
                            f"{type(module).__name__}")
        setattr(self, name, module)

    # ---- running ---------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, input):
        """The layer's output; keeps what :meth:`backward` needs.  Defined by each layer.

        Most layers take one array; a few take more, as in PyTorch (``MaxUnpool2d``'s
        ``forward(input, indices, output_size=None)``), and a few return
        ``(output, indices)`` when built with ``return_indices=True``.
        """
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def backward(self, grad_output):
        """Gradient with respect to the most recent forward's input; adds parameter grads.

        ``grad_output`` is the gradient with respect to the forward's output (its first
        element, if the forward returned ``(output, indices)``); the result is the gradient
        with respect to its first argument, ``input``: indices have no gradient.
        """
        raise NotImplementedError(f"{type(self).__name__} defines no backward")

    def train(self, mode=True):
        """Set training mode in this module and every sub-module; return ``self``."""
        object.__setattr__(self, "training", bool(mode))
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Set evaluation mode (``train(False)``); return ``self``."""
        return self.train(False)

    # ---- parameters ------------------------------------------------------------------------

    def children(self):
        """The direct sub-modules, in registration order."""
        return iter(self._modules.values())

    def modules(self):
        """This module, then every sub-module at any depth, parents before their children."""
        yield self
        for module in self.children():
            yield from module.modules()

    def named_children(self):
        """``(name, module)`` for every direct sub-module, in registration order."""
        return iter(self._modules.items())

    def named_parameters(self, prefix=""):
        """``(name, Parameter)`` for this module's parameters, then each sub-module's.

        Names are the state_dict keys: the attribute path joined by dots (``"0.weight"``).
        """
        for name, parameter in self._parameters.items():
            if parameter is not None:
                yield prefix + name, parameter
        for name, module in self._modules.items():
            yield from module.named_parameters(prefix=f"{prefix}{name}.")

    def parameters(self):
        """Every :class:`Parameter`, in the order of :meth:`named_parameters`."""
        for _, parameter in self.named_parameters():
            yield parameter

    def zero_grad(self):
        """Reset every parameter's gradient to ``None`` (PyTorch's default)."""
        for parameter in self.parameters():
            parameter.grad = None

    def reset_parameters(self, generator=None):
        """Draw every parameter again from its initial distribution (see :mod:`npconv.nn.init`).

        Parameters
        ----------
        generator : numpy.random.Generator, optional
            Where the numbers come from; default the generator of
            :func:`npconv.nn.init.manual_seed`.  Sub-modules draw from it in registration
            order, so one seeded generator makes a whole network reproducible.
        """
        for module in self.children():
            module.reset_parameters(generator)
        return self

    def to(self, dtype):
        """Convert every parameter (and gradient) to ``dtype`` in place; return ``self``."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype={dtype} must be a floating type such as float32 or float64")
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(dtype)
            if parameter.grad is not None:
                parameter.grad = parameter.grad.astype(dtype)
        return self

    def double(self):
        """Parameters as float64 (``to(np.float64)``); return ``self``."""
        return self.to(np.float64)

    def float(self):
        """Parameters as float32, PyTorch's default (``to(np.float32)``); return ``self``."""
        return self.to(np.float32)

    # ---- state_dict ------------------------------------------------------------------------

    def state_dict(self):
        """A new dict of copies of every parameter's values, keyed as in PyTorch.

        ``torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in
        model.state_dict().items()})`` loads them into the same architecture in PyTorch.
        """
        return {name: parameter.data.copy() for name, parameter in self.named_parameters()}

    def load_state_dict(self, state_dict):
        """Copy the values of ``state_dict`` into the parameters (each keeps its dtype).

        Accepts anything ``np.asarray`` reads, PyTorch's CPU tensors included.

        Raises
        ------
        ValueError
            If a key is missing or unexpected, or a shape differs; the message names them.
        """
        parameters = dict(self.named_parameters())
        missing = [key for key in parameters if key not in state_dict]
        unexpected = [key for key in state_dict if key not in parameters]
        if missing or unexpected:
            raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys "
                             f"{unexpected}")
        for key, parameter in parameters.items():
            value = np.asarray(state_dict[key])
            if value.shape != parameter.data.shape:
                raise ValueError(f"load_state_dict: {key!r} has shape {value.shape}, but the "
                                 f"parameter has shape {parameter.data.shape}")
        for key, parameter in parameters.items():
            parameter.data = np.array(state_dict[key], dtype=parameter.data.dtype)

    # ---- printing --------------------------------------------------------------------------

    def extra_repr(self):
        """The arguments shown between the parentheses of ``repr``; set by each layer."""
        return ""

    def __repr__(self):
        children = [f"  ({name}): " + repr(module).replace("\n", "\n  ")
                    for name, module in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n" + "\n".join(children) + "\n)"


class Sequential(Module):
    """Layers applied one after the other; backward runs them in reverse.

    The layers are registered as ``"0"``, ``"1"``, ..., so their parameters have PyTorch's
    keys ``"0.weight"``, ``"0.bias"``, ...  Indexing gives a layer, a slice a new
    ``Sequential`` of the same layer objects under their original keys (as PyTorch does).

    Parameters
    ----------
    *layers : Module

    Examples
    --------
    >>> from npconv import nn
    >>> model = nn.Sequential(nn.Flatten(), nn.Tanh())
    >>> model(np.zeros((2, 1, 3))).shape
    (2, 3)
    >>> model.backward(np.ones((2, 3))).shape
    (2, 1, 3)
    >>> model[-1], len(model[1:])
    (Tanh(), 1)
    """

    def __init__(self, *layers):
        super().__init__()
        for index, layer in enumerate(layers):
            self.add_module(str(index), layer)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            part = Sequential()
            for name, layer in items[index]:
                part.add_module(name, layer)
            return part
        return items[index][1]

    def forward(self, input):
        output = input
        layers = list(self._modules.items())
        for position, (name, layer) in enumerate(layers):
            output = layer(output)
            if isinstance(output, tuple) and position < len(layers) - 1:
                raise TypeError(
                    f"layer {name} ({layer!r}) returns a tuple, but Sequential hands one array "
                    f"to the next layer; build it with return_indices=False, or pass the "
                    f"indices on in a Module of your own (see npconv.nn.MaxUnpool2d)")
        return output

    def backward(self, grad_output):
        grad = grad_output
        for layer in reversed(list(self)):
            grad = layer.backward(grad)
        return grad


def real_array(value, name):
    """``value`` as an ndarray of real numbers, checked as the ops check their arrays.

    ``None``, a ragged nested list, a masked array (whose mask would be lost) and complex
    or object arrays are refused by ``name``; for the layers that call no op (``Linear``,
    the activations, ``Flatten``, the losses) and before a layer's own checks.

    Examples
    --------
    >>> real_array([[1, 2], [3]], "input")
    Traceback (most recent call last):
    ...
    ValueError: input=[[1, 2], [3]] is ragged: its nested sequences differ in length, so it has no array shape
    """
    return _as_array(value, name)


def check_grad_output(grad_output, shape):
    """``grad_output`` as an ndarray of real numbers, if it has the forward's output ``shape``.

    For the layers that call no op (the ops check their own ``grad_output``): without it a
    wrong shape would broadcast or reshape into a gradient of wrong numbers.

    >>> check_grad_output(np.ones((1, 3)), (2, 3))
    Traceback (most recent call last):
    ...
    ValueError: grad_output has shape (1, 3), but the forward's output shape is (2, 3)
    """
    grad = real_array(grad_output, "grad_output")
    _check_grad_output(grad, shape)
    return grad


def keep(array):
    """A copy of ``array`` for the backward to read.

    A layer keeps what its backward needs (its input, a loss's target, an output the caller
    also received).  Were it a reference, changing the caller's array in place between
    forward and backward would silently change the gradient; PyTorch detects such a change
    and raises, NumPy cannot tell, so npconv keeps a copy.  A layer keeps it only after the
    op has accepted the call, so a refused call leaves the previous one's backward intact.

    >>> x = np.ones(2)
    >>> kept = keep(x)
    >>> x[0] = 5.
    >>> kept
    array([1., 1.])
    """
    return np.array(array, copy=True)


def check_input_rank(module, input, spatial_dims, shape_text=None):
    """``input`` as an ndarray of shape (N, C, *spatial) with ``spatial_dims`` spatial axes.

    The array goes through :func:`real_array`.  Raises a ``ValueError`` naming the layer
    and the shape it expects otherwise;
    ``shape_text`` replaces the expected shape's letters, e.g. ``"N, C * K, L"``.

    Examples
    --------
    >>> from npconv import nn
    >>> check_input_rank(nn.MaxPool2d(2), np.zeros((3, 4, 4)), 2)
    Traceback (most recent call last):
    ...
    ValueError: MaxPool2d expects input of shape (N, C, H, W), got shape (3, 4, 4); for one sample add the batch axis: x[np.newaxis]
    """
    x = real_array(input, "input")
    if x.ndim != spatial_dims + 2:
        if shape_text is None:
            shape_text = ", ".join(("N", "C", *dimension_names(spatial_dims)))
        raise ValueError(f"{type(module).__name__} expects input of shape ({shape_text}), "
                         f"got shape {x.shape}; for one sample add the batch axis: "
                         f"x[np.newaxis]")
    return x


def check_method(method):
    """``method`` if it names a variant of the ops (``"loops"`` or ``"im2col"``)."""
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not one of {METHODS}")
    return method


def check_positive_int(name, value):
    """``value`` as an int >= 1 (a count: channels, features, epochs), else an error naming it.

    A bool or a float is the wrong kind (``TypeError``), zero or less the wrong value.

    Examples
    --------
    >>> check_positive_int("in_features", 2.0)
    Traceback (most recent call last):
    ...
    TypeError: in_features=2.0 must be an int >= 1, not float
    """
    if not is_int(value):
        raise TypeError(f"{name}={value!r} must be an int >= 1, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name}={value!r} must be an int >= 1")
    return int(value)


def empty_parameter(shape, what, cause):
    """A float32 :class:`Parameter` of ``shape`` for ``reset_parameters`` to fill.

    Beyond npconv's memory bound for one array it is refused before anything is allocated,
    by a ``ValueError`` that names ``what`` (``"the weight"``) and the ``cause`` (the
    layer's arguments), rather than a ``MemoryError``, or a machine that starts swapping.

    Examples
    --------
    >>> empty_parameter((10 ** 6, 10 ** 6), "the weight", "in_features=1000000")
    Traceback (most recent call last):
    ...
    ValueError: the weight would have shape (1000000, 1000000): 4000000000000 bytes (3725.3 GiB), more than the 17179869184 bytes (16 GiB) npconv allocates for one array; it comes from in_features=1000000
    """
    check_array_bytes(shape, np.dtype(np.float32).itemsize, what, cause)
    return Parameter(np.empty(shape, dtype=np.float32))


def padding_per_dimension(padding, spatial_dims):
    """An int padding as one int per dimension (PyTorch's attribute); sequences as tuples.

    The padding is checked here, so a bad one fails when the layer is built.

    Examples
    --------
    >>> padding_per_dimension(1, 2), padding_per_dimension([(0, 1), 2], 2)
    ((1, 1), ((0, 1), 2))
    """
    padding_pairs(padding, spatial_dims)
    if is_int(padding):
        return (int(padding),) * spatial_dims
    return tuple(tuple(p) if isinstance(p, (tuple, list)) else int(p) for p in padding)


def method_repr(method):
    """``", method='loops'"`` for the ``repr`` of a layer that runs the loops; else nothing."""
    return "" if method == "im2col" else f", method={method!r}"
