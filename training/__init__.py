"""csound-assist training: dataset building, fine-tuning, export and evaluation.

Run as `python -m training <verb> --config training/recipes/<run>.yaml` from the repository root.
Heavy libraries (torch, transformers, peft, unsloth, llama_cpp) are imported inside the verbs.
"""
