"""Similar past escalations and triage suggestions, offline (character n-gram TF-IDF).

`service` holds the domain functions; `index` this process's copy of the index; `store` what the
database keeps; `scorer` the interface a dense model could implement later. Nothing here imports
numpy or scikit-learn until an index is built or searched.
"""
