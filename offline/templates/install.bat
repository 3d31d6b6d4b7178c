@echo off
rem xueji @VERSION@ offline install for Windows (Python @PYTHON@). Double-click, or: install.bat [folder]
rem This file is ASCII on purpose: cmd.exe reads a .bat in the console code page (GBK on Chinese Windows).
rem All the work, and the Chinese messages, are in install.ps1 next to it (UTF-8 with BOM).
setlocal
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1" %*
set RC=%ERRORLEVEL%
echo.
pause
exit /b %RC%
