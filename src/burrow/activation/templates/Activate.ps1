# Activate this virtual environment in PowerShell:   . .venv\Scripts\Activate.ps1
# Leave it with `deactivate`. Values are verbatim '...' strings: PowerShell expands nothing
# inside them, and the prompt prints the saved text instead of evaluating it.

$BurrowEnvDir = __BURROW_VIRTUAL_ENV__
if (__BURROW_RELOCATABLE__) {
    # Find the environment from where this file is now.
    $BurrowEnvDir = Split-Path -Parent -Path (Split-Path -Parent -Path $MyInvocation.MyCommand.Path)
}
# Refuse, changing nothing, when no PATH entry can name the environment.
if ($BurrowEnvDir.Contains([string][System.IO.Path]::PathSeparator)) {
    Remove-Variable -Name BurrowEnvDir
    throw __BURROW_PATHSEP_MESSAGE__
}

function global:deactivate([switch] $NonDestructive) {
    if (Test-Path -LiteralPath variable:global:_BurrowOldPath) {
        $env:PATH = $global:_BurrowOldPath
        Remove-Variable -Name _BurrowOldPath -Scope Global
    }
    if (Test-Path -LiteralPath variable:global:_BurrowOldPythonHome) {
        $env:PYTHONHOME = $global:_BurrowOldPythonHome
        Remove-Variable -Name _BurrowOldPythonHome -Scope Global
    }
    if (Test-Path -LiteralPath function:global:_BurrowOldPrompt) {
        Copy-Item -LiteralPath function:global:_BurrowOldPrompt -Destination function:global:prompt
        Remove-Item -LiteralPath function:global:_BurrowOldPrompt
        Remove-Variable -Name _BurrowPromptPrefix -Scope Global -ErrorAction SilentlyContinue
    }
    Remove-Item -LiteralPath env:VIRTUAL_ENV -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath env:VIRTUAL_ENV_PROMPT -ErrorAction SilentlyContinue
    if (-not $NonDestructive) {
        Remove-Item -LiteralPath function:global:deactivate
    }
}

# Leave any environment that is active now, so it is this one that deactivate restores.
if (Test-Path -LiteralPath variable:global:_BurrowOldPath) {
    deactivate -NonDestructive
}

$env:VIRTUAL_ENV = $BurrowEnvDir
$env:VIRTUAL_ENV_PROMPT = __BURROW_PROMPT__

$global:_BurrowOldPath = $env:PATH
$env:PATH = (Join-Path -Path $BurrowEnvDir -ChildPath __BURROW_BIN_NAME__) + [System.IO.Path]::PathSeparator + $env:PATH

if (Test-Path -LiteralPath env:PYTHONHOME) {
    $global:_BurrowOldPythonHome = $env:PYTHONHOME
    Remove-Item -LiteralPath env:PYTHONHOME
}

if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT) {
    $global:_BurrowPromptPrefix = '(' + $env:VIRTUAL_ENV_PROMPT + ') '
    Copy-Item -LiteralPath function:global:prompt -Destination function:global:_BurrowOldPrompt
    function global:prompt {
        Write-Host -NoNewline $global:_BurrowPromptPrefix
        _BurrowOldPrompt
    }
}
Remove-Variable -Name BurrowEnvDir
