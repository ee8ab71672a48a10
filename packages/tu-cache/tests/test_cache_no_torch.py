"""tu.cache imports and works in an interpreter where torch cannot be imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_import_and_use_without_torch() -> None:
    code = textwrap.dedent(
        """
        import sys

        class BlockTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError("torch is blocked in this test")
                return None

        sys.meta_path.insert(0, BlockTorch())
        import tu.cache
        from tu.cache import compile_compatible_lru_cache, compile_compatible_method_lru_cache

        class A:
            @compile_compatible_method_lru_cache
            def f(self, x):
                return x + 1

        @compile_compatible_lru_cache(maxsize=4)
        def g(x):
            return x * 2

        a = A()
        assert (a.f(1), a.f(1), g(3), g(3)) == (2, 2, 6, 6)
        assert a.f.cache_info().hits == 1 and g.cache_info().hits == 1
        assert tu.cache.is_compiling() is False
        assert not any(m == "torch" or m.startswith("torch.") for m in sys.modules)
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
