#!/usr/bin/env bash
# Makes .venv-course: a second virtual environment, from a *different* interpreter where the machine
# has one (Debian's /usr/bin/python3 beside a pyenv or python.org build), that the environment tests
# run submissions under (tests/integration/test_environments.py). Offline after `make setup`.
#
# When both interpreters share an ABI (same CPython minor version and SOABI), the course venv reuses
# the main venv's packages through a .pth file: no second 600 MB TensorFlow download. Otherwise it
# gets its own TensorFlow, tf_keras, numpy and ipykernel from the package registry.
#
# usage: scripts/make-course-env.sh MAIN_VENV COURSE_VENV
set -euo pipefail
main="${1:-.venv}"
course="${2:-.venv-course}"
main_py="$main/bin/python"
main_real="$(readlink -f "$main_py")"
base=""
for candidate in ${COURSE_PYTHON:-} /usr/bin/python3 /usr/local/bin/python3 python3; do
    path="$(command -v "$candidate" 2>/dev/null || true)"
    [ -n "$path" ] || continue
    if [ "$(readlink -f "$path")" != "$main_real" ]; then base="$path"; break; fi
done
if [ -z "$base" ]; then
    # Only one interpreter on this machine: still a separate venv (its own prefix and path).
    base="$("$main_py" -c 'import sys; print(sys._base_executable)')"
    echo "note: no second interpreter here; $course uses the main venv's base interpreter $base" >&2
fi
abi='import sys, sysconfig; print(sys.implementation.cache_tag, sysconfig.get_config_var("SOABI"))'
rm -rf "$course"
if [ "$("$base" -c "$abi")" = "$("$main_py" -c "$abi")" ]; then
    # --without-pip: Debian's python3 needs no python3-venv package for this.
    "$base" -m venv --without-pip "$course"
    site_main="$("$main_py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    site_course="$("$course/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    echo "$(cd "$site_main" && pwd)" > "$site_course/grader-main-venv.pth"
else
    "$base" -m venv "$course"
    read -r dist tf < <("$main_py" -c 'from importlib import metadata as m
for d in ("tensorflow-cpu", "tensorflow"):
    try:
        print(d, ".".join(m.version(d).split(".")[:2])); break
    except m.PackageNotFoundError:
        pass')
    "$course/bin/python" -m pip install -q "$dist==$tf.*" "numpy" "ipykernel"
    "$course/bin/python" -m pip install -q --no-deps "tf_keras==$tf.*"
fi
"$course/bin/python" -c 'import sys, numpy, tensorflow, tf_keras; print("course environment:", sys.executable, sys.version.split()[0], "tensorflow", tensorflow.__version__, "tf_keras", tf_keras.__version__)' 2>/dev/null | tail -1
