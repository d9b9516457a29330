"""Smart claim review (智能审核): each rule at its boundaries, the input's validation, the engine's `new=`."""
