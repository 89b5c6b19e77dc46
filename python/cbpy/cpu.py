"""The CPU job's two kernels, written as the classic article writes them.

`squares` is the article's `cpu_bound`: the sum of i*i for i in range(n), one
multiply-add per i, run by the interpreter. `fib` is the naive recursive Fibonacci
of the newer version of the article (concbench sends n = 35). Both are module-level
functions so that multiprocessing can send them to pool workers by name.
"""


def squares(number):
    return sum(i * i for i in range(number))


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


KERNELS = {"squares": squares, "fib": fib}
