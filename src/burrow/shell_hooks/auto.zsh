autoload -Uz add-zsh-hook
add-zsh-hook chpwd _burrow_auto
_burrow_auto
