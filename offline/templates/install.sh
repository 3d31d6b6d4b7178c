#!/usr/bin/env bash
# xueji @VERSION@ 离线安装（@SYSTEM@，Python @PYTHON@）：不连网，只用本文件夹里的安装包。
#   ./install.sh [安装目录]        默认 ~/xueji；环境变量 PYTHON 可指定 Python 解释器
# 做的事：建虚拟环境（安装目录/venv）→ 用 wheels/ 中的包安装 xueji（--no-index，不访问任何软件源，
# 每个包按 requirements.txt 中的 sha256 核对）→ 注册 Jupyter 内核 xueji → 放好命令 安装目录/bin/xueji
# 和桌面启动器“学籍工作台”。再次运行即更新（同一目录）。
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DEST="${1:-$HOME/xueji}"
WANT="@PYTHON@"      # 本安装包的 Python 版本
WANT_MIN="@PYTHON_MIN@"

say() { printf '%s\n' "$*"; }
fail() { printf '安装失败：%s\n' "$*" >&2; exit 1; }

# 1. 找 Python @PYTHON@（@PYTHON_MIN@ 或更高的补丁版本）
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
    for c in "python$WANT" python3 python; do
        if command -v "$c" >/dev/null 2>&1; then
            if "$c" -c "import sys; v=tuple(map(int,'$WANT_MIN'.split('.'))); sys.exit(0 if sys.version_info[:2]==v[:2] and sys.version_info[:3]>=v else 1)" 2>/dev/null; then
                PY="$(command -v "$c")"; break
            fi
        fi
    done
fi
[ -n "$PY" ] || fail "没有找到 Python $WANT（$WANT_MIN 或更高的 $WANT.x）。请先安装它（麒麟/统信：软件商店或系统光盘中的 python$WANT），或用 PYTHON=/路径/python$WANT ./install.sh 指定；也可以换用与本机 Python 版本相同的安装包（文件名中的 py311/py312/py313）。"
"$PY" -c "import sys; v=tuple(map(int,'$WANT_MIN'.split('.'))); sys.exit(0 if sys.version_info[:2]==v[:2] and sys.version_info[:3]>=v else 1)" \
    || fail "$PY 不是 Python $WANT（$WANT_MIN 或更高）：本安装包的包只适用于 Python $WANT"
say "使用 $("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])')"

# 2. 虚拟环境：不用系统的 ensurepip（Debian 系常缺 python3-venv），pip 来自本安装包
mkdir -p "$DEST"
DEST="$(cd "$DEST" && pwd)"
VENV="$DEST/venv"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv --without-pip "$VENV" || fail "无法在 $VENV 建立虚拟环境"
fi
PYV="$VENV/bin/python"
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_CONFIG_FILE=/dev/null
say "安装 pip ……"
"$PYV" "$HERE/wheels/@PIP_WHEEL@/pip" install --quiet --no-index --find-links "$HERE/wheels" "$HERE/wheels/@PIP_WHEEL@" \
    || fail "安装 pip 失败"
say "安装 xueji @VERSION@ 及其依赖（只用本文件夹 wheels/ 中的包，逐个核对 sha256）……"
"$PYV" -m pip install --quiet --no-index --find-links "$HERE/wheels" --require-hashes -r "$HERE/requirements.txt" \
    || fail "从 wheels/ 安装失败（见上面 pip 的说明）；安装包可能不完整，请核对 manifest.json 中的 sha256"

# 3. Jupyter 内核 xueji（报告和 JupyterLab 用它），装在虚拟环境里
"$PYV" -m ipykernel install --sys-prefix --name xueji --display-name "Python (xueji)" >/dev/null \
    || fail "注册 Jupyter 内核失败"

# 4. 命令和启动器
mkdir -p "$DEST/bin" "$DEST/工作目录/数据"
ln -sf "$VENV/bin/xueji" "$DEST/bin/xueji"
cat > "$DEST/学籍工作台.sh" <<LAUNCH
#!/usr/bin/env bash
# 打开学籍工作台（看板首页）；关闭这个终端窗口即停止。
cd "$DEST/工作目录" && exec "$VENV/bin/xueji" start "\$@"
LAUNCH
chmod +x "$DEST/学籍工作台.sh"
DESKTOP_ENTRY="[Desktop Entry]
Type=Application
Name=学籍工作台
Comment=xueji 学籍数据工作台（本机 127.0.0.1）；关闭窗口即停止
Exec=\"$DEST/学籍工作台.sh\"
Path=$DEST/工作目录
Terminal=true
Categories=Office;
"
APPS="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
if mkdir -p "$APPS" 2>/dev/null; then
    printf '%s' "$DESKTOP_ENTRY" > "$APPS/xueji.desktop"
fi
for d in "$HOME/Desktop" "$HOME/桌面"; do
    if [ -d "$d" ]; then
        printf '%s' "$DESKTOP_ENTRY" > "$d/学籍工作台.desktop"
        chmod +x "$d/学籍工作台.desktop"
    fi
done

"$DEST/bin/xueji" --version >/dev/null || fail "安装后 xueji 不能运行"
say ""
say "安装完成：xueji @VERSION@ 在 $DEST"
say "  打开工作台：双击桌面上的“学籍工作台”，或运行 $DEST/学籍工作台.sh"
say "  命令行：    $DEST/bin/xueji --help   （可把 $DEST/bin 加入 PATH）"
say "  样例演示：  $DEST/bin/xueji report --samples"
