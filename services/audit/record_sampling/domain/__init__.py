"""Record sampling's pure rules (病历抽审): the population, the draw's size and ranks, the results and the rate."""
