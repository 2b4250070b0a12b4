;; formatter-basic: a tiny real component for the resolver corpus (a source file, hashed as-is).
(component $formatter-basic)
