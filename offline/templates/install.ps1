# xueji @VERSION@ 离线安装（@SYSTEM@，Python @PYTHON@）：不连网，只用本文件夹里的安装包。
# 用法：双击 安装.bat；或在 PowerShell 中：powershell -ExecutionPolicy Bypass -File install.ps1 [-Dest 安装目录]
# 默认装到 %LOCALAPPDATA%\xueji（只对当前用户，不需要管理员权限）。再次运行即更新。
param(
    [string]$Dest = (Join-Path $env:LOCALAPPDATA 'xueji'),
    [string]$Python = ''
)
$ErrorActionPreference = 'Stop'
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
$Want = '@PYTHON@'
$WantMin = [version]'@PYTHON_MIN@'
$Wheels = Join-Path $Here 'wheels'
$Tag = $Want.Replace('.', '')   # 3.11 -> 311, as in Python311\python.exe

function Fail([string]$msg) {
    Write-Host "安装失败：$msg" -ForegroundColor Red
    exit 1
}

# Python 的版本是否合适：同一个 3.x，且不低于最低补丁版本
function Test-Python([string]$exe, [string[]]$pre = @()) {
    try {
        # no double quotes in the code: Windows PowerShell 5.1 does not escape them for a native program
        $v = & $exe @pre -c 'import sys; print(*sys.version_info[:3], sep=chr(46)); print(sys.executable)' 2>$null
        if ($LASTEXITCODE -ne 0 -or -not $v) { return $null }
        $ver = [version]$v[0]
        if ($ver.Major -eq $WantMin.Major -and $ver.Minor -eq $WantMin.Minor -and $ver -ge $WantMin) { return $v[1] }
    } catch { }
    return $null
}

# 1. 找 Python @PYTHON@：-Python 指定的；py 启动器；PATH 上的 python（微软商店的占位程序不算）；
#    本安装包 python\ 中带的安装程序（有的话，装到当前用户，不改 PATH）
$py = $null
if ($Python) { $py = Test-Python $Python }
if (-not $py -and (Get-Command py.exe -ErrorAction SilentlyContinue)) { $py = Test-Python 'py.exe' @("-$Want") }
if (-not $py) {
    foreach ($c in @(Get-Command python.exe -All -ErrorAction SilentlyContinue)) {
        if ($c.Source -like '*\WindowsApps\*') { continue }
        $py = Test-Python $c.Source
        if ($py) { break }
    }
}
if (-not $py) {
    $guess = Join-Path $env:LOCALAPPDATA "Programs\Python\Python$Tag\python.exe"
    if (Test-Path $guess) { $py = Test-Python $guess }
}
if (-not $py) {
    $installer = Get-ChildItem -Path (Join-Path $Here 'python') -Filter 'python-*.exe' -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($installer) {
        Write-Host "安装 Python（$($installer.Name)，只对当前用户）……"
        $p = Start-Process -FilePath $installer.FullName -Wait -PassThru -ArgumentList @(
            '/quiet', 'InstallAllUsers=0', 'PrependPath=0', 'Include_launcher=0', 'Include_test=0', 'Shortcuts=0')
        if ($p.ExitCode -ne 0) { Fail "Python 安装程序返回 $($p.ExitCode)" }
        $py = Test-Python (Join-Path $env:LOCALAPPDATA "Programs\Python\Python$Tag\python.exe")
    }
}
if (-not $py) {
    Fail ("没有找到 Python $Want（$WantMin 或更高的 $Want.x，64 位）。请先安装它（python.org 的 Windows 安装程序，" +
          "可由信息中心拷入内网），或用 -Python C:\路径\python.exe 指定；也可换用与本机 Python 版本相同的安装包（文件名中的 py311/py312/py313）。")
}
Write-Host "使用 Python：$py"

# 2. 虚拟环境（安装目录\venv）：pip 来自本安装包，不访问任何软件源
New-Item -ItemType Directory -Force -Path $Dest | Out-Null
$Dest = (Resolve-Path $Dest).Path
$Venv = Join-Path $Dest 'venv'
$PyV = Join-Path $Venv 'Scripts\python.exe'
if (-not (Test-Path $PyV)) {
    & $py -m venv --without-pip $Venv
    if ($LASTEXITCODE -ne 0) { Fail "无法在 $Venv 建立虚拟环境" }
}
$env:PIP_NO_INDEX = '1'
$env:PIP_DISABLE_PIP_VERSION_CHECK = '1'
$env:PIP_NO_INPUT = '1'
$env:PIP_CONFIG_FILE = 'nul'   # = os.devnull on Windows: pip reads no configuration file
$PipWheel = Join-Path $Wheels '@PIP_WHEEL@'
Write-Host '安装 pip ……'
# pip runs from its own wheel (a zip on sys.path); should that fail, the venv's ensurepip, then the bundled pip
& $PyV "$PipWheel/pip" install --quiet --no-index --find-links $Wheels $PipWheel
if ($LASTEXITCODE -ne 0) {
    & $PyV -m ensurepip --default-pip
    if ($LASTEXITCODE -eq 0) { & $PyV -m pip install --quiet --no-index --find-links $Wheels $PipWheel }
    if ($LASTEXITCODE -ne 0) { Fail '安装 pip 失败' }
}
Write-Host '安装 xueji @VERSION@ 及其依赖（只用本文件夹 wheels\ 中的包，逐个核对 sha256）……'
& $PyV -m pip install --quiet --no-index --find-links $Wheels --require-hashes -r (Join-Path $Here 'requirements.txt')
if ($LASTEXITCODE -ne 0) { Fail '从 wheels\ 安装失败（见上面 pip 的说明）；安装包可能不完整，请核对 manifest.json 中的 sha256' }

# 3. Jupyter 内核 xueji（报告和 JupyterLab 用它），装在虚拟环境里
& $PyV -m ipykernel install --sys-prefix --name xueji --display-name 'Python (xueji)' | Out-Null
if ($LASTEXITCODE -ne 0) { Fail '注册 Jupyter 内核失败' }

# 4. 工作目录、命令行窗口和快捷方式（桌面和开始菜单）
$Work = Join-Path $Dest '工作目录'
New-Item -ItemType Directory -Force -Path (Join-Path $Work '数据') | Out-Null   # 放自己的名单：工作台查询它们
$Xueji = Join-Path $Venv 'Scripts\xueji.exe'
$Cmd = Join-Path $Dest '学籍命令行.bat'
# 一个打开命令行窗口、可以直接输入 xueji 命令的批处理（ASCII：cmd.exe 按本机代码页读取批处理）
$cmdText = "@echo off`r`ncd /d `"%~dp0工作目录`"`r`nset `"PATH=%~dp0venv\Scripts;%PATH%`"`r`nxueji --help`r`ncmd /k`r`n"
[System.IO.File]::WriteAllText($Cmd, $cmdText, [System.Text.Encoding]::Default)
$shell = New-Object -ComObject WScript.Shell
$places = @([Environment]::GetFolderPath('Desktop'), [Environment]::GetFolderPath('Programs'))
foreach ($place in $places) {
    if (-not $place) { continue }
    $lnk = $shell.CreateShortcut((Join-Path $place '学籍工作台.lnk'))
    $lnk.TargetPath = $Xueji
    $lnk.Arguments = 'start'
    $lnk.WorkingDirectory = $Work
    $lnk.Description = '学籍工作台（本机 127.0.0.1）；关闭这个窗口即停止'
    $lnk.IconLocation = "$PyV,0"
    $lnk.Save()
}
$lnk = $shell.CreateShortcut((Join-Path ([Environment]::GetFolderPath('Programs')) '学籍命令行.lnk'))
$lnk.TargetPath = $Cmd
$lnk.WorkingDirectory = $Work
$lnk.Save()

& $Xueji --version | Out-Null
if ($LASTEXITCODE -ne 0) { Fail '安装后 xueji 不能运行' }
Write-Host ''
Write-Host "安装完成：xueji @VERSION@ 在 $Dest" -ForegroundColor Green
Write-Host '  打开工作台：双击桌面上的“学籍工作台”（关闭它的窗口即停止）'
Write-Host "  命令行：    开始菜单“学籍命令行”，或 $Xueji --help"
Write-Host '  样例演示：  xueji report --samples'
